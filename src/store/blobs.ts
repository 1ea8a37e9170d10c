/**
 * Content-addressed blobs: bytes named by their sha256. A blob appears under its final name
 * only complete (atomic write or rename), so "the file exists" means "the bytes were good".
 *
 * Bytes rot, and other programs write where they should not, so a blob is checked against its
 * name before it is trusted:
 * - as a cache hit (`checkBlob`, from getRecord): hashed once and then remembered in the
 *   source-hash memo by (size, mtime, inode), so an unchanged cache costs no reading. A blob
 *   rewritten in place with its size and mtime put back passes this check;
 * - when copied into out/ (`verifyBlobCopy`): the copy itself is hashed before it is renamed
 *   into place, every time. That catches the case above at the latest moment it matters, for
 *   the price of reading each restored output once more (from the page cache, just written);
 * - when hosted as an input: hosting hashes what it uploads (hosting/guard.ts).
 * A blob that fails is deleted, so the next look-up is a miss and the node is fetched again.
 */
import { createHash } from 'node:crypto';
import { access, rename, rm } from 'node:fs/promises';
import { constants, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { ExitCode } from '../errors.js';
import { copyFileAtomicUnsynced, syncFile, withParentDir, writeFileAtomic } from './atomic.js';
import { isCode } from './errno.js';
import { markDirty } from './dir-sync.js';
import { StoreError } from './errors.js';
import { assertHex64, layout } from './layout.js';
import { fileInfo, touchIfStale } from './touch.js';
import { sha256OfFile } from '../util/file-sha256.js';
import { uniqueSuffix } from '../util/unique-suffix.js';
import { refusedRead } from '../util/read-failure.js';

export async function hasBlob(root: string, sha256: string): Promise<boolean> {
  assertHex64(sha256, 'blob digest');
  // One synchronous stat: asked once per cache hit and per adoption, in batches of thousands.
  try {
    return statSync(layout.blob(root, sha256), { throwIfNoEntry: false })?.isFile() === true;
  } catch (e) {
    if (isCode(e, 'ENOTDIR')) return false;
    throw e;
  }
}

/** Durable (file and name fsynced). With `now`, an existing blob is marked as used again (see `touch.ts`). */
export async function putBlob(root: string, bytes: Uint8Array, now?: () => number): Promise<string> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!(await reuseBlob(root, sha256, now))) await writeFileAtomic(layout.blob(root, sha256), bytes, { durable: true });
  return sha256;
}

/** Whether the blob exists; with `now`, a blob found is bumped so `kontext gc` sees it as just used. */
async function reuseBlob(root: string, sha256: string, now: (() => number) | undefined): Promise<boolean> {
  if (!now) return hasBlob(root, sha256);
  assertHex64(sha256, 'blob digest');
  const path = layout.blob(root, sha256);
  const info = await fileInfo(path);
  if (info === null) return false;
  // One this process may not read (a restored cache with another owner) is replaced, not reused.
  const readable = await access(path, constants.R_OK).then(
    () => true,
    (e: unknown) => !isCode(e, 'EACCES', 'EPERM'),
  );
  if (!readable) {
    await rm(path, { force: true }).catch(() => undefined);
    return false;
  }
  touchIfStale(path, info.mtimeMs, now());
  return true;
}

/** A fresh, unused path in `<root>/tmp`; the hint (sanitized) only helps a person reading `ls`. */
export function tempPath(root: string, hint = 'blob'): string {
  const safe = hint.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 40) || 'blob';
  return join(layout.tmp(root), `${safe}.${uniqueSuffix()}.tmp`);
}

/**
 * Move a complete temp file into the store under `sha256` (the caller hashed it while
 * writing). Only files from `<root>/tmp` are accepted: the rename must stay on one filesystem
 * and the store must never swallow a user's file. If the blob already exists the temp is dropped.
 * `durable` (a paid result): the blob's folder (and a new folder's parent) is fsynced before
 * the journal entry of the request is removed (dir-sync.ts `markDirty`), so a
 * power cut cannot lose the name while nothing else would bring the result back.
 */
export async function adoptBlob(
  root: string,
  tempFile: string,
  sha256: string,
  options: {
    readonly synced?: boolean;
    readonly durable?: boolean;
    readonly now?: (() => number) | undefined;
  } = {},
): Promise<string> {
  assertHex64(sha256, 'blob digest');
  const rel = relative(layout.tmp(root), tempFile);
  if (!isAbsolute(tempFile) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new StoreError('E_STORE_FOREIGN_TEMP', `adoptBlob: ${tempFile} is not inside ${layout.tmp(root)}`, {
      hint: 'write downloads to store.tempPath() and adopt that file',
    });
  }
  const target = layout.blob(root, sha256);
  if (await reuseBlob(root, sha256, options.now)) {
    await rm(tempFile, { force: true });
    return target;
  }
  // The writer may not have fsynced; a blob must not turn into zeros after a power cut.
  if (!options.synced) await syncFile(tempFile);
  // A missing temp is ENOENT too: then the retry fails the same way and the error stands.
  await withParentDir(target, () => rename(tempFile, target), options.durable && 'deferred');
  if (options.durable) markDirty(dirname(target));
  return target;
}

/**
 * Copy a local file the caller has hashed into the store as blob `sha256`, unless the blob is
 * there (then it is marked used, as {@link putBlob} does): synchronous and not fsynced, so only
 * for blobs that can be rebuilt (run/adopt.ts). The blob is a copy, never a hard link (see
 * run/adopt.ts), and appears under its name only complete.
 */
export function copyInBlob(root: string, file: string, sha256: string, now: () => number): void {
  assertHex64(sha256, 'blob digest');
  const target = layout.blob(root, sha256);
  const found = statSync(target, { throwIfNoEntry: false });
  if (found?.isFile() !== true) return copyFileAtomicUnsynced(file, target);
  // Reused like `putBlob` reuses a blob: bumped, so a gc running now sees it as used and keeps it.
  touchIfStale(target, found.mtimeMs, now());
}

/** A blob whose bytes no longer match its name; it has been deleted. Exit 75: a run fetches it again. */
export class BlobCorruptError extends StoreError {
  override readonly name = 'BlobCorruptError';
  readonly sha256: string;
  constructor(sha256: string, actual: string) {
    super(
      'E_STORE_BLOB_CORRUPT',
      `cached output ${sha256.slice(0, 12)}… is damaged (its bytes hash to ${actual.slice(0, 12)}…); ` +
        'dropped from the cache',
      { exitCode: ExitCode.TEMP_FAIL, hint: 'run again: the node is fetched anew' },
    );
    this.sha256 = sha256;
  }
}

export function isBlobCorrupt(e: unknown): e is BlobCorruptError {
  return e instanceof BlobCorruptError;
}

async function sha256Of(path: string): Promise<string> {
  return (await sha256OfFile(path)).sha256;
}

/**
 * Check a copy of a blob (about to be renamed into out/) against the blob's name. On a
 * mismatch the copy and the blob are both deleted and {@link BlobCorruptError} is thrown.
 */
export async function verifyBlobCopy(blob: string, copy: string): Promise<void> {
  const expected = basename(blob);
  assertHex64(expected, 'blob digest');
  const actual = await sha256Of(copy);
  if (actual === expected) return;
  await Promise.all([rm(copy, { force: true }), rm(blob, { force: true })]);
  throw new BlobCorruptError(expected, actual);
}

/**
 * Is the blob there and do its bytes match its name? `hash` is the memoised hasher (see the
 * header). A damaged blob is deleted and reported through `onDropped`; the answer is then false.
 * One this process may not read (a restored cache with another owner) is a miss too, removed
 * when its folder allows and reported through `onUnreadable`.
 */
export async function checkBlob(
  root: string,
  sha256: string,
  hash: (path: string) => Promise<{ readonly sha256: string }>,
  onDropped?: (error: BlobCorruptError) => void,
  onUnreadable?: (path: string, error: unknown) => void,
): Promise<boolean> {
  assertHex64(sha256, 'blob digest');
  const path = layout.blob(root, sha256);
  let actual: string;
  try {
    // The hasher stats the file first (missing or not a file: no blob), so no separate stat.
    actual = (await hash(path)).sha256;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'E_SOURCE_MISSING' || code === 'E_SOURCE_NOT_FILE') return false;
    const refused = refusedRead(e);
    if (refused !== null) {
      // Removed when the folder allows it: the same bytes downloaded again must not meet it.
      await rm(path, { force: true }).catch(() => undefined);
      onUnreadable?.(path, refused);
      return false;
    }
    throw e;
  }
  if (actual === sha256) return true;
  await rm(path, { force: true });
  onDropped?.(new BlobCorruptError(sha256, actual));
  return false;
}
