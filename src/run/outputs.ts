/**
 * Outputs are materialized from the store: `<out>/<node-id>.<ext>` plus `save:` copies.
 * Copies go through a temp file and a rename, so a half-written image never looks finished.
 * An existing output is left alone only when its sha256 is the blob's (a same-size file with
 * other bytes, say a torn or hand-damaged copy, is restored). Hashing goes through the store's
 * source-hash memo (size, mtime, inode), so a no-op re-run reads no image bytes; the caller can
 * skip even that when it knows the file must now hold other bytes (`force`).
 */
import { copyFile, rename, rm, stat } from 'node:fs/promises';
import { outputPathFor } from '../plan/index.js';
import { tempPathFor, withParentDir } from '../store/atomic.js';

/** How an existing output is checked: the blob it should hold, and a (memoized) hasher. */
export interface OutputCheck {
  readonly sha256: string;
  readonly hash: (path: string) => Promise<{ readonly sha256: string }>;
}

/**
 * Copy the blob to `dest` unless (without `force`) `dest` already holds it: the same sha256
 * with `check`, else (no hasher at hand) the same size. Returns true when written.
 */
export async function materialize(
  blob: string,
  dest: string,
  force = false,
  check?: OutputCheck | undefined,
): Promise<boolean> {
  if (!force && (await holdsBlob(blob, dest, check))) return false;
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

async function holdsBlob(blob: string, dest: string, check: OutputCheck | undefined): Promise<boolean> {
  const existing = await stat(dest).catch(() => null);
  if (!existing?.isFile()) return false;
  if (check) return (await check.hash(dest).catch(() => null))?.sha256 === check.sha256;
  return existing.size === (await stat(blob)).size;
}

/** Materialize the node output and its `save:` copy (rewritten when `force`). Returns the main output path and whether anything was written. */
export async function writeOutputs(
  blob: string,
  outDir: string,
  nodeId: string,
  ext: string,
  save: string | null,
  force = false,
  check?: OutputCheck | undefined,
): Promise<{ readonly output: string; readonly restored: boolean }> {
  const output = outputPathFor(outDir, nodeId, ext);
  const wrote = await materialize(blob, output, force, check);
  const savedCopy = save === null ? false : await materialize(blob, save.split('{ext}').join(ext), force, check);
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
