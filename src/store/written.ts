/**
 * Which bytes kontext itself wrote at which output path: one empty marker file per (absolute
 * path, sha256), `<root>/written/<aa>/<sha256 of "path\0sha256">`. The hand-edit rule
 * (run/hand-edits.ts) lets kontext replace a file that holds bytes it wrote at that very path,
 * even when the lock names other bytes: a lock changed under the outputs (a `git checkout` of
 * another branch with `out/` ignored, a lock restored from git) is not a hand edit. A hand edit
 * makes bytes kontext never wrote there; a copy of another node's output (variant 2 over
 * variant 1) is bytes kontext wrote elsewhere: both are still refused. Outputs a kontext without
 * markers wrote count by their run record instead (`recorded`, written-records.ts).
 *
 * A marker is a hint that can only make kontext more careful when lost: written without fsync,
 * best effort (a cache it cannot write into loses nothing but the hint), and pruned by
 * `kontext gc --older-than` by its age ({@link pruneWritten}). It is written in async calls, off
 * the event loop a run's requests are timed on; one under way counts as written, and the store's
 * `flush` waits for them (`settled`).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { mkdirp } from '../util/mkdir-p.js';
import { isCode } from './errno.js';
import { listFanOut } from './list-dir.js';
import { isFutureDated } from './touch.js';
import { recordedResults } from './written-records.js';

export interface WrittenOutputs {
  /** kontext has just written `sha256` at `path` (best effort; the marker is written meanwhile). */
  note(path: string, sha256: string): void;
  /** Whether kontext wrote `sha256` at `path` (as far as this cache remembers). */
  has(path: string, sha256: string): boolean;
  /** The markers noted so far are written (or given up). */
  settled(): Promise<void>;
  /**
   * Whether the cache holds a run record of `node` whose output is `sha256` (written-records.ts):
   * bytes a kontext that wrote no markers put at that node's output path.
   */
  recorded(node: string, sha256: string): Promise<boolean>;
}

/** The folder of the markers in the cache dir `root`. */
export function writtenDirOf(root: string): string {
  return join(root, 'written');
}

function markerOf(root: string, path: string, sha256: string): string {
  const name = createHash('sha256')
    .update(`${resolve(path)}\0${sha256}`)
    .digest('hex');
  return join(writtenDirOf(root), name.slice(0, 2), name);
}

export function createWrittenOutputs(root: string): WrittenOutputs {
  /** Markers being written, by path: they count as there. */
  const pending = new Map<string, Promise<void>>();
  return {
    note(path, sha256) {
      const marker = markerOf(root, path, sha256);
      if (pending.has(marker)) return; // being written now: its mtime will be fresh
      const done = writeMarker(marker).finally(() => pending.delete(marker));
      pending.set(marker, done);
    },
    has(path, sha256) {
      try {
        const marker = markerOf(root, path, sha256);
        return pending.has(marker) || existsSync(marker);
      } catch {
        return false;
      }
    },
    async settled() {
      while (pending.size > 0) await Promise.all(pending.values());
    },
    recorded: recordedResults(root),
  };
}

/** An empty file at `marker` (an existing one's mtime renewed: gc prunes by age); never throws. */
async function writeMarker(marker: string): Promise<void> {
  try {
    await writeFile(marker, '');
  } catch (e) {
    if (!isCode(e, 'ENOENT')) return;
    try {
      await mkdirp(dirname(marker));
      await writeFile(marker, '');
    } catch {
      // A hint only: without it, the next run is stricter, never less safe.
    }
  }
}

export interface PruneWrittenOptions {
  /** Markers older than this go (`kontext gc --older-than`). */
  readonly olderThanMs: number;
  readonly now: () => number;
  /** Count what would go; remove nothing. */
  readonly dryRun: boolean;
}

/**
 * Remove (or count) the markers not renewed for `olderThanMs`. One dated in the future (a cache
 * copied from a machine whose clock ran ahead) is dated back to now instead (not in a dry run),
 * so it ages from now rather than never.
 */
export async function pruneWritten(root: string, options: PruneWrittenOptions): Promise<number> {
  const now = options.now();
  const cutoff = now - options.olderThanMs;
  let removed = 0;
  for (const { path } of await listFanOut(writtenDirOf(root))) {
    const info = await stat(path).catch(() => null);
    if (info !== null && isFutureDated(info.mtimeMs, now) && !options.dryRun)
      await utimes(path, now / 1000, now / 1000).catch(() => undefined); // a hint: best effort
    if (info === null || !info.isFile() || info.mtimeMs >= cutoff) continue;
    removed++;
    if (!options.dryRun)
      await unlink(path).catch((e: unknown) => {
        if (!isCode(e, 'ENOENT')) throw e;
      });
  }
  return removed;
}
