/**
 * `kontext gc`'s pruning of the source-hash memo (`<cache>/sources/<hash of the folder>.json`,
 * `source-hash.ts`). The cache is one per machine, so every folder ever hashed (the sources and
 * outputs of every project, deleted temp projects and `out/` folders included) left a memo file
 * that nothing read again. A memo file goes when:
 * - its `folder` no longer exists (stat says ENOENT or ENOTDIR, or it is no longer a folder):
 *   no file can be hashed there, so no run reads it;
 * - it cannot be read or parsed, has no absolute `folder`, or is not the file `memoFileOf` names
 *   for its folder (torn or foreign: no run reads it either), and it is at least a day old
 *   (`STALE_TEMP_MS`, the age rule of crash-left temps; a younger one may be mid-write).
 * A memo of a folder that exists is kept whole: gc does not rewrite its entries (a file gone from
 * a kept folder leaves a stale entry, which the memo's own check ignores; keep gc simple).
 * `--older-than` and `--max-size` do not apply (memos are small), and these are counted apart
 * from the record and blob tallies. Safe beside a running `kontext run`: just before each unlink
 * the memo file is stat'ed again (kept if a run rewrote it since the scan) and then its folder
 * (kept if it was created meanwhile). What remains is a window of microseconds in which a run
 * could write the memo of a folder it just created and lose it: a cache, its files are hashed
 * again.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { STALE_TEMP_MS } from './atomic.js';
import { isCode } from './errno.js';
import { listDir, lstatOrNull, type PruneOptions, unchangedSince, unlinkIfThere } from './list-dir.js';
import { memoDirOf, memoFileOf } from './source-hash.js';

/** The names `memoFileOf` gives; anything else in `sources/` (temps included) is not looked at here. */
const MEMO_NAME = /^[0-9a-f]{32}\.json$/;

/** Remove (or, in a dry run, count) the memo files of the cache dir `root` that no run will read. */
export async function pruneMemos(
  root: string,
  options: PruneOptions,
): Promise<{ readonly files: number; readonly bytes: number }> {
  const dir = memoDirOf(root);
  const cutoff = options.now() - STALE_TEMP_MS;
  let files = 0;
  let bytes = 0;
  for (const name of (await listDir(dir)).filter((n) => MEMO_NAME.test(n)).sort()) {
    const path = join(dir, name);
    const seen = await lstatOrNull(path);
    if (seen === null || !seen.isFile()) continue;
    const folder = await memoFolder(root, path);
    if (folder === undefined) continue; // gone since the listing
    const useless = folder === null ? seen.mtimeMs < cutoff : await isGone(folder);
    if (!useless) continue;
    if (!options.dryRun) {
      if (!(await unchangedSince(path, seen))) continue;
      if (folder !== null && !(await isGone(folder))) continue;
      await unlinkIfThere(path);
    }
    files++;
    bytes += seen.size;
  }
  return { files, bytes };
}

/**
 * The folder a memo file is of; null when it cannot be read or parsed, names no absolute folder,
 * or is not the file `memoFileOf` gives for that folder; undefined when it is gone.
 */
async function memoFolder(root: string, path: string): Promise<string | null | undefined> {
  let data: unknown;
  try {
    data = JSON.parse(await readBoundedText(path, READ_CAPS.sourceMemo));
  } catch (e) {
    if (isCode(e, 'ENOENT')) return undefined;
    if (e instanceof SyntaxError || isBoundedReadError(e) || isCode(e, 'EISDIR', 'ENOTDIR')) return null;
    throw e;
  }
  if (typeof data !== 'object' || data === null) return null;
  const { folder } = data as { folder?: unknown };
  if (typeof folder !== 'string' || !isAbsolute(folder) || memoFileOf(root, folder) !== path) return null;
  return folder;
}

/** Whether `folder` no longer exists as a folder. Any other error (EACCES, ELOOP…) keeps its memo. */
async function isGone(folder: string): Promise<boolean> {
  return stat(folder).then(
    (s) => !s.isDirectory(),
    (e: unknown) => isCode(e, 'ENOENT', 'ENOTDIR'),
  );
}
