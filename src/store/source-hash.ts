/**
 * Source-file hashing with a memo keyed by (absolute path, size, mtime, inode), so re-running an
 * unchanged 1,000-file batch reads no image bytes. The memo is kept per folder, in
 * `<root>/sources/<hash of the folder>.json`: the cache is one per machine, and one memo file for
 * every folder of every project ever run grew without bound (~5 MB per 10,000-node recipe: its
 * sources and outputs), parsed whole by every command. A command now reads the memos of the
 * folders it hashes in, and nothing else.
 * The memo is a cache: a corrupt file reads as empty, and concurrent writers may drop each
 * other's new entries (last writer wins) but never tear the file (atomic rename).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { isCode } from './errno.js';
import { ExitCode } from '../errors.js';
import { StoreError } from './errors.js';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { readFailure } from '../util/read-failure.js';
import { sha256OfFile } from '../util/file-sha256.js';

interface MemoEntry {
  readonly size: number;
  readonly mtime_ns: string;
  readonly ino: string;
  readonly sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A file whose mtime is this close to "now" could change again within the same mtime tick
 * (coarse-clock filesystems) without us noticing, so it is hashed but not remembered.
 */
const RACY_WINDOW_MS = 2_000;

interface SourceHash {
  readonly sha256: string;
  readonly bytes: number;
}

export interface SourceHashMemo {
  hash(path: string): Promise<SourceHash>;
  flush(): Promise<void>;
}

/** One folder's memo: its file, its entries by file name, and whether we added any since the last flush. */
interface Shard {
  readonly folder: string;
  readonly file: string;
  readonly entries: Promise<Map<string, MemoEntry>>;
  generation: number;
  flushed: number;
}

/** The folder of the memo files in the cache dir `root`. */
export function memoDirOf(root: string): string {
  return join(root, 'sources');
}

/** The memo file of `folder` (absolute): `<root>/sources/<first 32 hex chars of sha256(folder)>.json`. */
export function memoFileOf(root: string, folder: string): string {
  return join(memoDirOf(root), `${createHash('sha256').update(folder).digest('hex').slice(0, 32)}.json`);
}

/**
 * The memo of the cache dir `root` (its files in `<root>/sources/`). The memo file of the layout
 * before per-folder memos, `<root>/sources.json`, is removed at the first flush (a cache: its
 * folders are hashed once more).
 */
export function createSourceHashMemo(root: string, now: () => number): SourceHashMemo {
  const shards = new Map<string, Shard>();
  let flushing: Promise<void> = Promise.resolve();
  let legacyRemoved = false;
  const shardOf = (folder: string): Shard => {
    let shard = shards.get(folder);
    if (!shard) {
      const file = memoFileOf(root, folder);
      shard = { folder, file, entries: loadMemo(file, folder), generation: 0, flushed: 0 };
      shards.set(folder, shard);
    }
    return shard;
  };

  const flushNow = async (): Promise<void> => {
    for (const shard of shards.values()) {
      if (shard.generation === shard.flushed) continue;
      const target = shard.generation;
      const ours = await shard.entries;
      const merged = await loadMemo(shard.file, shard.folder); // keep what other processes wrote meanwhile
      for (const [name, entry] of ours) merged.set(name, entry);
      const text = JSON.stringify({ version: 2, folder: shard.folder, entries: Object.fromEntries(merged) });
      // A memo, not a result: one that cannot be saved (a full disk, a read-only cache) is hashed
      // again next run, and must not turn the run's own outcome (exit 73 naming the file it
      // could not write, say) into an internal error. A later flush tries again.
      try {
        await writeFileAtomic(shard.file, `${text}\n`);
      } catch {
        continue;
      }
      shard.flushed = target;
      if (!legacyRemoved) {
        legacyRemoved = true;
        await rm(join(root, 'sources.json'), { force: true });
      }
    }
  };

  return {
    async hash(path) {
      if (!isAbsolute(path))
        throw new StoreError('E_STORE_RELATIVE_PATH', `hashSource needs an absolute path, got ${path}`);
      const shard = shardOf(dirname(path));
      const name = basename(path);
      const entries = await shard.entries;
      const before = statSource(path);
      const known = entries.get(name);
      if (known && sameFile(known, before)) return { sha256: known.sha256, bytes: known.size };
      const startedAt = now();
      const result = await hashFile(path, before.size);
      const after = statSource(path);
      const racy = Number(after.mtime_ns / 1_000_000n) > startedAt - RACY_WINDOW_MS;
      if (sameStat(before, after) && after.size === result.bytes && !racy) {
        entries.set(name, {
          size: result.bytes,
          mtime_ns: String(after.mtime_ns),
          ino: String(after.ino),
          sha256: result.sha256,
        });
        shard.generation += 1;
      }
      return result;
    },
    flush() {
      flushing = flushing.then(flushNow, flushNow);
      return flushing;
    },
  };
}

interface SourceStat {
  readonly size: number;
  readonly mtime_ns: bigint;
  readonly ino: bigint;
}

/**
 * Synchronous on purpose: the memo's answer for an unchanged file is this one stat, asked for
 * every source and output of a run (30,000 times for a 10,000-node no-op re-run), where a
 * promise and a thread-pool round trip cost several times the syscall itself.
 */
function statSource(path: string): SourceStat {
  try {
    const s = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (s === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    if (!s.isFile())
      throw new StoreError('E_SOURCE_NOT_FILE', `source is not a file: ${path}`, { exitCode: ExitCode.NO_INPUT });
    return { size: Number(s.size), mtime_ns: s.mtimeNs, ino: s.ino };
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) {
      throw new StoreError('E_SOURCE_MISSING', `source file is missing: ${path}`, {
        exitCode: ExitCode.NO_INPUT,
        cause: e,
      });
    }
    throw e;
  }
}

function sameFile(entry: MemoEntry, s: SourceStat): boolean {
  return entry.size === s.size && entry.mtime_ns === String(s.mtime_ns) && entry.ino === String(s.ino);
}

function sameStat(a: SourceStat, b: SourceStat): boolean {
  return a.size === b.size && a.mtime_ns === b.mtime_ns && a.ino === b.ino;
}

/**
 * Files up to this size are read in one synchronous call: after a deleted cache every source and
 * output misses the memo, and a stream per small file cost several times the read.
 */
const READ_AT_ONCE_BYTES = 1 << 20;

/** A file this user may not read: one error naming it (read-failure.ts), exit 66. */
async function hashFile(path: string, size: number): Promise<SourceHash> {
  try {
    return await hashBytes(path, size);
  } catch (e) {
    throw readFailure(e, path, 'file');
  }
}

async function hashBytes(path: string, size: number): Promise<SourceHash> {
  if (size <= READ_AT_ONCE_BYTES) {
    const bytes = readFileSync(path);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  return sha256OfFile(path);
}

/** The entries of `folder`'s memo file, by file name (empty when missing, corrupt or another folder's). */
async function loadMemo(file: string, folder: string): Promise<Map<string, MemoEntry>> {
  const map = new Map<string, MemoEntry>();
  let data: unknown;
  try {
    data = JSON.parse(await readBoundedText(file, READ_CAPS.sourceMemo));
  } catch (e) {
    // A memo that is not a regular file or is far too large is ignored like a corrupt one (a re-hash).
    if (e instanceof SyntaxError || isBoundedReadError(e) || isCode(e, 'ENOENT', 'ENOTDIR', 'EISDIR')) return map;
    throw e;
  }
  if (typeof data !== 'object' || data === null) return map;
  const { version, entries, folder: of } = data as { version?: unknown; entries?: unknown; folder?: unknown };
  if (version !== 2 || of !== folder || typeof entries !== 'object' || entries === null) return map;
  for (const [name, raw] of Object.entries(entries)) {
    if (isMemoEntry(raw)) map.set(name, { size: raw.size, mtime_ns: raw.mtime_ns, ino: raw.ino, sha256: raw.sha256 });
  }
  return map;
}

/**
 * A well-formed entry (checked by hand, not with zod): the memo holds an entry per source, blob and output
 * (30,000 for a 10,000-node recipe), and a zod parse of each was a twentieth of a no-op run.
 */
function isMemoEntry(raw: unknown): raw is MemoEntry {
  if (typeof raw !== 'object' || raw === null) return false;
  const { size, mtime_ns, ino, sha256 } = raw as Record<string, unknown>;
  return (
    Number.isSafeInteger(size) &&
    (size as number) >= 0 &&
    typeof mtime_ns === 'string' &&
    typeof ino === 'string' &&
    typeof sha256 === 'string' &&
    SHA256_HEX.test(sha256)
  );
}
