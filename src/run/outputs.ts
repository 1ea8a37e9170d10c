/**
 * Outputs are materialized from the store: `<out>/<node-id>.<ext>` plus `save:` copies.
 * Copies go through a temp file and a rename, so a half-written image never looks finished, and
 * never through a symlink or onto the recipe, its lock, its sources, `.git` or the cache.
 * An existing output of the right size is left alone (a no-op run stays a no-op, no hashing),
 * unless the caller knows the file should now hold other bytes (`force`): a fresh result, or a
 * cache hit the lock does not list for that node.
 */
import { outputPathFor } from '../plan/index.js';
import { verifyBlobCopy } from '../store/blobs.js';
import { copyFileSafely } from '../store/safe-write.js';
import { BASE_WRITE_GUARD, type WriteGuard } from '../store/write-guard.js';
import { ownValue } from '../util/own.js';
import { outputWriteError } from './output-errors.js';

/**
 * Copy the blob to `dest` unless (without `force`) an output of that size is already there.
 * Returns true when written. The guard says what may not be overwritten (see safe-write.ts);
 * the copy is checked against the blob's sha256 before it lands, so a damaged blob never
 * reaches out/ (it is dropped: BlobCorruptError).
 */
function materialize(blob: string, dest: string, force: boolean, guard: WriteGuard): Promise<boolean> {
  return copyFileSafely(blob, dest, guard, force, { verify: (copy) => verifyBlobCopy(blob, copy) });
}

/** Where a node's output goes. */
export interface OutputTarget {
  readonly outDir: string;
  readonly nodeId: string;
  readonly ext: string;
  /** The node's `save:` path (`{ext}` placeholder), or `null`. */
  readonly save: string | null;
  /** Rewrite the files even when they look current (default: only restore missing ones). */
  readonly rewrite?: boolean;
  /** What may not be overwritten (default: nothing but the basic rules, see store/write-guard.ts). */
  readonly guard?: WriteGuard | undefined;
}

/** Materialize the node output and its `save:` copy. Returns the main output path and whether anything was written. */
export async function writeOutputs(
  blob: string,
  target: OutputTarget,
): Promise<{ readonly output: string; readonly restored: boolean }> {
  const { outDir, nodeId, ext, save } = target;
  const force = target.rewrite ?? false;
  const guard = target.guard ?? BASE_WRITE_GUARD;
  const output = outputPathFor(outDir, nodeId, ext);
  const wrote = await materializeOrExplain(blob, output, force, guard);
  const savedCopy =
    save === null ? false : await materializeOrExplain(blob, save.split('{ext}').join(ext), force, guard);
  return { output, restored: wrote || savedCopy };
}

/** {@link materialize}, with a permission, disk or path failure turned into an error naming `dest`. */
async function materializeOrExplain(blob: string, dest: string, force: boolean, guard: WriteGuard): Promise<boolean> {
  try {
    return await materialize(blob, dest, force, guard);
  } catch (e) {
    throw outputWriteError(e, dest);
  }
}

const EXT_BY_TYPE: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/heic': 'heic',
};

/** File extension for a downloaded output: from its media type, else its URL, else png. */
export function extensionFor(
  mediaType: string | null,
  url: string,
): { readonly ext: string; readonly mediaType: string } {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const fromType = ownValue(EXT_BY_TYPE, type);
  if (fromType) return { ext: fromType, mediaType: type };
  const m = /\.([a-z0-9]{2,5})(?:$|[?#])/i.exec(new URL(url).pathname);
  const ext = m?.[1]?.toLowerCase() === 'jpeg' ? 'jpg' : (m?.[1]?.toLowerCase() ?? 'png');
  const byExt = Object.entries(EXT_BY_TYPE).find(([, e]) => e === ext)?.[0];
  return { ext, mediaType: byExt ?? 'application/octet-stream' };
}
