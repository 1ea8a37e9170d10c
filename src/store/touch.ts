/**
 * "Last used" for `kontext gc` (docs/architecture.md#cache-lock-and-journal): the mtime of a run
 * record (a blob lives while any record needs it). atime is no guide (noatime and relatime
 * mounts), so a cache hit bumps the record's mtime itself, at most once per
 * {@link TOUCH_AFTER_MS}: a hit costs a stat, and a utimes only when the last bump is older than
 * that. A hit never touches the blob: the source-hash memo keys on its mtime, and a bump would
 * make the next run re-hash it. An existing blob that a new record reuses (a download with the
 * same bytes) is bumped, so gc never takes it as unused.
 *
 * Nodes the lock proves current (run/lock-current.ts) read no record at all: their records are
 * bumped together after the run by {@link touchRecords}, which remembers (a stamp file named by
 * the hash of the set of keys, in `<cache>/used/`) that exactly this set was bumped, so a re-run
 * within {@link TOUCH_AFTER_MS} costs one stat instead of one per record.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { mkdirpSync } from '../util/mkdir-p.js';
import { isCode } from './errno.js';
import { layout } from './layout.js';

/** How stale an mtime may be before a use bumps it: "last used" is exact to this. */
export const TOUCH_AFTER_MS = 60_000;

/** Size and mtime of a regular file, or null when it is missing (or not a file). */
export async function fileInfo(path: string): Promise<{ readonly size: number; readonly mtimeMs: number } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return null;
    throw e;
  }
}

/**
 * Whether an mtime is ahead of the clock by more than {@link TOUCH_AFTER_MS}: a cache copied from
 * a machine whose clock ran ahead, or `touch -d 2030`. It says nothing of when the file was used;
 * a use dates it back to now ({@link touchIfStale}), and `kontext gc` counts it as unknown (gc.ts).
 */
export function isFutureDated(mtimeMs: number, nowMs: number): boolean {
  return mtimeMs - nowMs > TOUCH_AFTER_MS;
}

/**
 * Mark a file used: set its mtime (and atime) to `nowMs` when it is older than
 * {@link TOUCH_AFTER_MS}, or dated in the future ({@link isFutureDated}: else gc could never tell
 * a hit on it, gc.ts). Returns `false` only when the file is gone (`kontext gc` has claimed
 * it: see gc.ts), so a cache hit marks its record before it reads the blob and, the record gone,
 * takes a miss rather than a blob gc is about to remove. Otherwise best effort. Synchronous,
 * like {@link touchRecords}: a report reads every node's record, and a promise per utimes costs
 * more than the syscall.
 */
export function touchIfStale(path: string, mtimeMs: number, nowMs: number): boolean {
  if (nowMs - mtimeMs < TOUCH_AFTER_MS && !isFutureDated(mtimeMs, nowMs)) return true;
  const t = nowMs / 1000;
  try {
    utimesSync(path, t, t);
  } catch (e) {
    // Otherwise best effort: the record is bumped on its next use.
    if (isCode(e, 'ENOENT')) return false;
  }
  return true;
}

/** A used key the cache lacks part of: its record (`recordLost`), or only its output blob. */
export interface Missing {
  readonly key: string;
  readonly recordLost: boolean;
}

/**
 * Bump the mtime of the records of `used` (a batch of cache hits) unless this very set of keys
 * was bumped less than {@link TOUCH_AFTER_MS} ago. Returns the keys whose record or output blob
 * is missing, and which (the caller may rebuild them: a record still there is kept, only its
 * blob copied in). Synchronous: one syscall per record, run at the run's end, where a promise
 * per record would cost more than the syscall. Best effort.
 */
export function touchRecords(
  root: string,
  used: readonly { readonly key: string; readonly blob: string }[],
  nowMs: number,
): Missing[] {
  const folder = join(root, 'used');
  const digest = createHash('sha256');
  for (const { key } of used) digest.update(key);
  const stamp = join(folder, digest.digest('hex'));
  const last = statOrNull(stamp);
  if (last && nowMs - last.mtimeMs < TOUCH_AFTER_MS && last.mtimeMs <= nowMs) return [];
  const t = nowMs / 1000;
  const missing: Missing[] = [];
  // One listing of the records' fan-out folders: after a deleted cache every record is missing,
  // and 10,000 failing utimes (an exception each) cost more than the adoptions they lead to.
  const folders = fanOutFolders(join(root, 'records'));
  for (const { key, blob } of used) {
    if (folders !== null && !folders.has(key.slice(0, 2))) {
      missing.push({ key, recordLost: true });
      continue;
    }
    try {
      utimesSync(layout.record(root, key), t, t);
    } catch {
      missing.push({ key, recordLost: true });
      continue;
    }
    try {
      if (!statSync(layout.blob(root, blob), { throwIfNoEntry: false })?.isFile())
        missing.push({ key, recordLost: false });
    } catch {
      missing.push({ key, recordLost: false });
    }
  }
  try {
    mkdirpSync(folder);
    dropOldStamps(folder, nowMs);
    writeFileSync(stamp, '');
    utimesSync(stamp, t, t);
  } catch {
    // no stamp: the next run bumps the records again
  }
  return missing;
}

/** The names in `dir` (the two-character fan-out folders), or null when it cannot be listed. */
function fanOutFolders(dir: string): Set<string> | null {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return null;
  }
}

/** A stamp's stat; null when it is missing or cannot be read (then the batch runs: best effort). */
function statOrNull(path: string): { readonly mtimeMs: number } | null {
  try {
    return statSync(path, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/** A stamp older than {@link TOUCH_AFTER_MS} says nothing any more. */
function dropOldStamps(folder: string, nowMs: number): void {
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    const s = statOrNull(path);
    if (s !== null && nowMs - s.mtimeMs >= TOUCH_AFTER_MS) {
      try {
        unlinkSync(path);
      } catch {
        // another run removed it first
      }
    }
  }
}
