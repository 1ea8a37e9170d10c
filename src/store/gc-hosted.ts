/**
 * `kontext gc`'s pruning of the hosting records (`<cache>/hosted/<mode>-<fingerprint>/<sha256>.json`,
 * written by src/hosting/url-cache.ts). A hosting command's record keeps the URL it printed, which
 * may be signed: a secret until it expires, then of no use. A record goes when:
 * - its `expires_at` has passed: no run hands that URL out again (it hosts the image anew);
 * - it is in an `s3-` folder and keeps a URL: an older kontext's, holding a presigned URL (the
 *   access key id, and the session token of temporary credentials). A run no longer reuses it (it
 *   HEADs the object and writes a record without a URL), so the object stays and costs no upload;
 * - it cannot be read or parsed and is at least a day old (`STALE_TEMP_MS`: a younger one may be
 *   mid-write). Crash-left temps beside the records go with the other temps (gc.ts).
 * `--older-than` and `--max-size` do not apply (records are small); counted apart from the
 * tallies. Safe beside a run: a record is stat'ed again just before its unlink and kept if it was
 * rewritten since it was read (a run hosting that image again meanwhile).
 */
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { STALE_TEMP_MS } from './atomic.js';
import { isCode } from './errno.js';
import { listIn, lstatOrNull, type PruneOptions, unchangedSince, unlinkIfThere } from './list-dir.js';
import { isSha256Hex, layout } from './layout.js';

/** Remove (or, in a dry run, count) the hosting records of the cache dir `root` no run will use. */
export async function pruneHosted(
  root: string,
  options: PruneOptions,
): Promise<{ readonly files: number; readonly bytes: number }> {
  const now = options.now();
  let files = 0;
  let bytes = 0;
  for (const folder of await listIn(layout.hosted(root))) {
    const s3 = folder.name.startsWith('s3-');
    for (const { name, path } of (await listIn(folder.path)).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!name.endsWith('.json') || !isSha256Hex(name.slice(0, -'.json'.length))) continue;
      const seen = await lstatOrNull(path);
      if (seen === null || !seen.isFile()) continue;
      const verdict = await verdictOf(path, { now, s3 });
      const useless = verdict === 'unreadable' ? seen.mtimeMs < now - STALE_TEMP_MS : verdict === 'useless';
      if (!useless) continue;
      if (!options.dryRun) {
        if (!(await unchangedSince(path, seen))) continue;
        await unlinkIfThere(path);
      }
      files++;
      bytes += seen.size;
    }
  }
  return { files, bytes };
}

/** What a record is to a run: of use, of none (expired; an s3 one keeping a URL), or unreadable. */
async function verdictOf(
  path: string,
  at: { readonly now: number; readonly s3: boolean },
): Promise<'kept' | 'useless' | 'unreadable'> {
  let data: unknown;
  try {
    data = JSON.parse(await readBoundedText(path, READ_CAPS.urlRecord));
  } catch (e) {
    if (isCode(e, 'ENOENT')) return 'kept'; // gone since the listing
    if (e instanceof SyntaxError || isBoundedReadError(e) || isCode(e, 'EISDIR')) return 'unreadable';
    throw e;
  }
  if (typeof data !== 'object' || data === null) return 'unreadable';
  const { url, expires_at: expiresAt } = data as { url?: unknown; expires_at?: unknown };
  if (at.s3 && url !== undefined) return 'useless';
  if (expiresAt === null) return 'kept';
  const expires = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(expires)) return 'unreadable';
  return expires <= at.now ? 'useless' : 'kept';
}
