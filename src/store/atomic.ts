/**
 * Atomic file writes: write a sibling temp file, fsync, rename over the target.
 * A reader sees the old file or the new one, never half of either.
 */
import { closeSync, constants, copyFileSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type FileHandle, open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { retryFdLimit } from '../util/fd-limit.js';
import { mkdirp, mkdirpSync } from '../util/mkdir-p.js';
import { writerIsDead } from '../util/process-tag.js';
import { tempNameFor } from '../util/unique-suffix.js';
import { markDirty, mkdirDurable, syncDir } from './dir-sync.js';
import { isCode } from './errno.js';

/** A temp path beside `target` (same folder, so the final rename stays on one filesystem). */
export function tempPathFor(target: string): string {
  return join(dirname(target), tempNameFor(basename(target), '.tmp'));
}

const TEMP_NAME = /^\..+\.tmp$/;

/** Whether a file name is one {@link tempPathFor} makes (`.<name>.<suffix>.tmp`). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/**
 * A temp file (one of {@link tempPathFor}'s, or anything in the store's `tmp/`) older than this is
 * the leftover of a crashed write: no write or download takes that long. A younger one may be
 * in progress and is removed only when its writer is provably dead ({@link isStaleTemp}).
 */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/**
 * Whether the temp file `name` (modified at `mtimeMs`) is a crash's leftover: a day old, or
 * written by a process of this machine that is no longer alive (its name's tag: util/process-tag.ts;
 * a `.part` download temp or a `.tmp`). A temp of a live process, or of one we cannot check
 * (another machine or container sharing the folder), is kept until it is a day old.
 */
export function isStaleTemp(name: string, mtimeMs: number, nowMs: number): boolean {
  return nowMs - mtimeMs > STALE_TEMP_MS || isDeadWritersTemp(name);
}

/** Whether `name` is a temp (`….tmp` or `….part`) whose writer is provably dead (util/process-tag.ts). */
function isDeadWritersTemp(name: string): boolean {
  const end = /\.(?:tmp|part)$/.exec(name);
  return end !== null && writerIsDead(name.slice(0, end.index));
}

export interface WriteFileAtomicOptions {
  mode?: number;
  /**
   * Also fsync the parent folder after the rename (shared with other writers of that folder:
   * dir-sync.ts), and each folder made on the way, so the new name itself survives a power cut.
   * `'deferred'`: the folder is fsynced before the next journal entry is removed instead of now
   * (dir-sync.ts `markDirty`): for a paid result, which its journal entry brings back until then.
   */
  durable?: boolean | 'deferred';
  /**
   * fsync the file before the rename (default true). Only for files that can be rebuilt from
   * elsewhere (see run/adopt.ts): without it a power cut may leave the new name with no bytes.
   */
  sync?: boolean;
  /** Called with the temp complete, just before the rename (a test hook: see cli/test-hooks.ts). */
  beforeRename?: (() => void) | undefined;
  /**
   * With `sync: false` (and not `durable`): written in synchronous calls (the default: cheapest for
   * batches on a quiet disk, as adoption's), or, `false`, in async ones that never hold the event loop
   * for the disk: a node's review written mid-run, where a rename on a busy disk (ext4 under another
   * job's writes) took 1-3 ms of the loop that polls, submits and downloads for every other node.
   */
  blocking?: boolean;
}

/**
 * Write `data` to `target` atomically, creating parent folders. Pieces (`Iterable<string>`) are
 * written one after another, so a large text never has to exist as one string and one buffer.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array | Iterable<string>,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const tmp = tempPathFor(target);
  if (options.sync === false && !options.durable) {
    if (options.blocking === false && (typeof data === 'string' || data instanceof Uint8Array))
      return writeUnsyncedAsync(target, tmp, data, options.mode);
    return writeUnsynced(target, tmp, data, options.mode);
  }
  const create = (): Promise<FileHandle> => retryFdLimit(() => open(tmp, 'wx', options.mode ?? 0o644));
  const handle = await withParentDir(target, create, options.durable);
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    // Each writeFile on a handle goes on from where the last one ended.
    else for (const piece of data) await handle.writeFile(piece);
    if (options.sync !== false) await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    options.beforeRename?.();
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (options.durable === 'deferred') markDirty(dirname(target));
  else if (options.durable) await syncDir(dirname(target));
}

/**
 * {@link writeFileAtomic} without fsync, in synchronous calls: such files come in batches (10,000
 * records adopted after a deleted cache) where each async call's thread-pool round trip cost
 * more than the syscall. Still atomic: a temp file, then a rename.
 */
function writeUnsynced(target: string, tmp: string, data: string | Uint8Array | Iterable<string>, mode = 0o644): void {
  // ENOENT: the folder is missing, no temp exists.
  replaceViaTemp(target, tmp, ['ENOENT'], () => {
    if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(tmp, data, { flag: 'wx', mode });
    else writePieces(tmp, data, mode);
  });
}

/** {@link writeUnsynced} in async calls, off the event loop (see `blocking`). */
async function writeUnsyncedAsync(target: string, tmp: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const create = async (): Promise<void> => {
    try {
      await writeFile(tmp, data, { flag: 'wx', mode });
    } catch (e) {
      // ENOENT: the folder is missing, no temp exists; any other failure may leave a half temp.
      if (!isCode(e, 'ENOENT')) await rm(tmp, { force: true });
      throw e;
    }
  };
  await withParentDir(target, () => retryFdLimit(create));
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Copy `source` to `target` atomically (a temp beside `target`, then a rename), synchronously and
 * without fsync, creating the parent folder if needed: for files that can be rebuilt from
 * elsewhere (see run/adopt.ts), which come in batches of thousands after a deleted cache. On
 * Linux the copy is one copy_file_range (a reflink where the filesystem offers it).
 */
export function copyFileAtomicUnsynced(source: string, target: string): void {
  const tmp = tempPathFor(target);
  // ENOENT: the folder (or the source) is missing, and a missing source fails again the same way
  // after the mkdir; EEXIST: the temp is not ours. Any other failure may leave a half copy.
  replaceViaTemp(target, tmp, ['ENOENT', 'EEXIST'], () => copyFileSync(source, tmp, constants.COPYFILE_EXCL));
}

/**
 * Make `tmp` with `create` (creating `target`'s folder if it is missing) and rename it over
 * `target`, synchronously. A failed `create` removes the temp unless it failed with one of
 * `noTemp` (codes that mean no temp of ours exists); a failed rename always removes it.
 */
function replaceViaTemp(target: string, tmp: string, noTemp: readonly string[], create: () => void): void {
  withParentDirSync(target, () => {
    try {
      create();
    } catch (e) {
      if (!isCode(e, ...noTemp)) rmSync(tmp, { force: true });
      throw e;
    }
  });
  try {
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Write `pieces` one after another to a new file `path` (exclusive create). */
function writePieces(path: string, pieces: Iterable<string>, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    for (const piece of pieces) writeFileSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}

/**
 * Run `fn` (which creates something in `path`'s folder); if the folder is missing, create it
 * and run `fn` again. The folder almost always exists: trying first saves a `mkdir -p` per
 * write on the hot path (a cache write is a few syscalls; mkdir was a fifth of them).
 * `durable`: each folder made is fsynced into its parent (dir-sync.ts `mkdirDurable`), now or,
 * `'deferred'`, before the journal's next removal.
 */
export async function withParentDir<T>(
  path: string,
  fn: () => Promise<T>,
  durable: boolean | 'deferred' = false,
): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
    if (durable) await mkdirDurable(dirname(path), durable === 'deferred');
    else await mkdirp(dirname(path));
    return fn();
  }
}

/** {@link withParentDir} in synchronous calls (the unsynced writes above). */
function withParentDirSync<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!isCode(e, 'ENOENT')) throw e;
    mkdirpSync(dirname(path));
    return fn();
  }
}

/**
 * fsync a file someone else wrote. Opened for writing where allowed: Windows flushes only a
 * handle that may write (reading is enough on Linux and macOS, so a read-only file is opened
 * for reading there).
 */
export async function syncFile(path: string): Promise<void> {
  const handle = await retryFdLimit(() =>
    open(path, 'r+').catch((e: unknown) => {
      if (isCode(e, 'EACCES', 'EPERM')) return open(path, 'r');
      throw e;
    }),
  );
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Folders this process has swept of dead writers' temps (once each is enough: see below). */
const swept = new Set<string>();

/**
 * Before this process first writes into `dir` (an out/ folder, the lock's folder): remove the
 * `.<name>.<suffix>.tmp` files that a process killed between its write and its rename left
 * there. By the writer's tag only ({@link isDeadWritersTemp}): a temp whose writer is alive, or
 * cannot be checked, stays (`kontext clean` and `gc` remove day-old ones). Best effort.
 */
export async function sweepDeadTempsOnce(dir: string): Promise<void> {
  if (swept.has(dir)) return;
  swept.add(dir);
  const names = await readdir(dir).catch(() => []);
  await Promise.all(
    names
      .filter((name) => isTempName(name) && isDeadWritersTemp(name))
      .map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)),
  );
}
