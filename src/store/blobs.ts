/**
 * Content-addressed blobs: bytes named by their sha256. A blob appears under its final name
 * only complete (atomic write or rename), so "the file exists" means "the bytes are good".
 */
import { createHash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { isCode, withParentDir, writeFileAtomic } from './atomic.js';
import { StoreError } from './errors.js';
import { assertHex64, layout } from './layout.js';
import { fileInfo, touchIfStale } from './touch.js';
import { uniqueSuffix } from '../util/unique-suffix.js';

export async function hasBlob(root: string, sha256: string): Promise<boolean> {
  assertHex64(sha256, 'blob digest');
  try {
    return (await stat(layout.blob(root, sha256))).isFile();
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return false;
    throw e;
  }
}

/** With `now`, an existing blob is marked as used again (see `touch.ts`). */
export async function putBlob(root: string, bytes: Uint8Array, now?: () => number): Promise<string> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (!(await reuseBlob(root, sha256, now))) await writeFileAtomic(layout.blob(root, sha256), bytes);
  return sha256;
}

/** Whether the blob exists; with `now`, a blob found is bumped so `kontext gc` sees it as just used. */
async function reuseBlob(root: string, sha256: string, now: (() => number) | undefined): Promise<boolean> {
  if (!now) return hasBlob(root, sha256);
  assertHex64(sha256, 'blob digest');
  const path = layout.blob(root, sha256);
  const info = await fileInfo(path);
  if (info !== null) await touchIfStale(path, info.mtimeMs, now());
  return info !== null;
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
 */
export async function adoptBlob(
  root: string,
  tempFile: string,
  sha256: string,
  options: { readonly synced?: boolean; readonly now?: (() => number) | undefined } = {},
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
  if (!options.synced) await syncFile(tempFile);
  // A missing temp is ENOENT too: then the retry fails the same way and the error stands.
  await withParentDir(target, () => rename(tempFile, target));
  return target;
}

/** The writer may not have fsynced; a blob must not turn into zeros after a power cut. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
