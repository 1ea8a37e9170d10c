/**
 * Outputs are materialized from the store: `<out>/<pass>/<instance>[-v<k>].<ext>` plus `save:` copies.
 * Copies go through a temp file and a rename, so a half-written image never looks finished.
 * An existing output of the right size is left alone (a no-op run stays a no-op, no hashing),
 * unless the caller knows the file should now hold other bytes (`force`): a fresh result, or a
 * cache hit the lock does not list for that node.
 */
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { outputPathFor, type OutputNaming } from '../plan/index.js';
import { tempPathFor, withParentDir } from '../store/atomic.js';

/** Copy the blob to `dest` unless (without `force`) an output of that size is already there. Returns true when written. */
export async function materialize(blob: string, dest: string, force = false): Promise<boolean> {
  if (!force) {
    const [source, existing] = await Promise.all([stat(blob), stat(dest).catch(() => null)]);
    if (existing?.isFile() && existing.size === source.size) return false;
  }
  const tmp = tempPathFor(dest);
  try {
    await withParentDir(dest, () => copyFile(blob, tmp));
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return true;
}

/** Materialize the node output and its `save:` copy (rewritten when `force`). Returns the main output path and whether anything was written. */
export async function writeOutputs(
  blob: string,
  outDir: string,
  node: OutputNaming,
  ext: string,
  save: string | null,
  force = false,
): Promise<{ readonly output: string; readonly restored: boolean }> {
  const output = outputPathFor(outDir, node, ext);
  const wrote = await materialize(blob, output, force);
  const savedCopy = save === null ? false : await materialize(blob, save.split('{ext}').join(ext), force);
  return { output, restored: wrote || savedCopy };
}

const EXT_BY_TYPE: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
};

/** File extension for a downloaded output: from its media type, else its URL, else png. */
export function extensionFor(
  mediaType: string | null,
  url: string,
): { readonly ext: string; readonly mediaType: string } {
  const type = mediaType?.split(';')[0]?.trim().toLowerCase() ?? '';
  const fromType = EXT_BY_TYPE[type];
  if (fromType) return { ext: fromType, mediaType: type };
  const m = /\.([a-z0-9]{2,5})(?:$|[?#])/i.exec(new URL(url).pathname);
  const ext = m?.[1]?.toLowerCase() === 'jpeg' ? 'jpg' : (m?.[1]?.toLowerCase() ?? 'png');
  const byExt = Object.entries(EXT_BY_TYPE).find(([, e]) => e === ext)?.[0];
  return { ext, mediaType: byExt ?? 'application/octet-stream' };
}
