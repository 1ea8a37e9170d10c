/**
 * "Last used" for `kontext gc` (docs/architecture.md#cache-lock-and-journal): the mtime of a run
 * record (a blob lives while any record needs it). atime is no guide (noatime and relatime
 * mounts), so a cache hit bumps the record's mtime itself, at most once per
 * {@link TOUCH_AFTER_MS}: a hit costs a stat, and a utimes only when the last bump is older than
 * that. A hit never touches the blob: the source-hash memo keys on its mtime, and a bump would
 * make the next run re-hash it. An existing blob that a new record reuses (a download with the
 * same bytes) is bumped, so gc never takes it as unused.
 */
import { stat, utimes } from 'node:fs/promises';
import { isCode } from './atomic.js';

/** How stale an mtime may be before a use bumps it: "last used" is exact to this. */
const TOUCH_AFTER_MS = 60_000;

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

/** Set the mtime (and atime) to `nowMs` when it is older than {@link TOUCH_AFTER_MS}. Best effort. */
export async function touchIfStale(path: string, mtimeMs: number, nowMs: number): Promise<void> {
  if (nowMs - mtimeMs < TOUCH_AFTER_MS) return;
  const t = nowMs / 1000;
  await utimes(path, t, t).catch(() => undefined);
}
