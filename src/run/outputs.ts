/**
 * Outputs are materialized from the store: `<out>/<pass>/<instance>[-v<k>].<ext>` plus `save:` copies.
 * Copies go through a temp file and a rename, so a half-written image never looks finished, and
 * never through a symlink or onto the recipe, its lock, its sources, `.git` or the cache.
 * An existing output is left alone only when its sha256 is the blob's (a same-size file with
 * other bytes, say a torn or hand-damaged copy, is restored). Hashing goes through the store's
 * source-hash memo (size, mtime, inode), so a no-op re-run reads no image bytes; the caller can
 * skip even that when it knows the file must now hold other bytes (`force`).
 */
import { lstat } from 'node:fs/promises';
import { saveCopyPath } from '../util/save-template.js';
import { outputPathFor, type OutputNaming } from '../plan/index.js';
import { verifyBlobCopy } from '../store/blobs.js';
import { copyFileSafely } from '../store/safe-write.js';
import { BASE_WRITE_GUARD, type WriteGuard } from '../store/write-guard.js';
import { ownValue } from '../util/own.js';
import { outputWriteError } from './output-errors.js';

/** How an existing output is checked: the blob it should hold, and a (memoized) hasher. */
interface OutputCheck {
  readonly sha256: string;
  readonly hash: (path: string) => Promise<{ readonly sha256: string }>;
}

interface MaterializeHow {
  readonly force: boolean;
  readonly guard: WriteGuard;
  readonly check: OutputCheck | undefined;
  readonly crashPoint?: ((point: string) => void) | undefined;
  readonly onWritten?: ((path: string) => void) | undefined;
  /** A paid result's way back without a new request, for the error's hint (output-errors.ts). */
  readonly paid: string | undefined;
}

/**
 * Copy the blob to `dest` unless (without `force`) `dest` already holds it: the same sha256
 * with `check`, else (no hasher at hand) the same size. Returns true when written. The guard
 * says what may not be overwritten (see safe-write.ts); the copy is checked against the blob's
 * sha256 before it lands, so a damaged blob never reaches out/ (it is dropped: BlobCorruptError).
 */
async function materialize(blob: string, dest: string, how: MaterializeHow): Promise<boolean> {
  let { force } = how;
  if (!force && how.check) {
    if (await holdsBlob(dest, how.check)) return false;
    force = true; // same size perhaps, but other bytes: restore it
  }
  const verify = (copy: string): Promise<void> => verifyBlobCopy(blob, copy);
  return copyFileSafely(blob, dest, how.guard, force, { verify, crashPoint: how.crashPoint });
}

/**
 * The hasher stats `dest` first: missing or not a file rejects, which reads as "does not hold it".
 * A symlink never holds it, whatever it leads to: the hasher follows links, and a link out of the
 * project left in place would be named by the lock (which the next run then refuses) and would
 * tell, by "up to date", whether a file out there holds those bytes.
 */
async function holdsBlob(dest: string, check: OutputCheck): Promise<boolean> {
  if ((await lstat(dest).catch(() => null))?.isSymbolicLink() === true) return false;
  return (await check.hash(dest).catch(() => null))?.sha256 === check.sha256;
}

/** Where a node's output goes. */
export interface OutputTarget {
  readonly outDir: string;
  /** The node (its id, pass, instance and variant name the file). */
  readonly node: OutputNaming;
  readonly ext: string;
  /** The node's `save:` path (`{ext}` placeholder), or `null`. */
  readonly save: string | null;
  /** Rewrite the files even when they look current (default: only restore missing or different ones). */
  readonly rewrite?: boolean;
  /** What may not be overwritten (default: nothing but the basic rules, see store/write-guard.ts). */
  readonly guard?: WriteGuard | undefined;
  /** Check an existing file by sha256 (else by size). */
  readonly check?: OutputCheck | undefined;
  /** Test hook (see cli/test-hooks.ts). */
  readonly crashPoint?: ((point: string) => void) | undefined;
  /** Told each path the blob was written to (store/written.ts notes it, for the hand-edit rule). */
  readonly onWritten?: ((path: string) => void) | undefined;
  /**
   * How the paid result is got without a new request, should the write fail: the error's hint
   * says it (a one-off edit's, RunDeps.paidHint); by default a recipe's "the next run writes it".
   */
  readonly paid?: string | undefined;
}

/** Materialize the node output and its `save:` copy. Returns the main output path and whether anything was written. */
export async function writeOutputs(
  blob: string,
  target: OutputTarget,
): Promise<{ readonly output: string; readonly restored: boolean }> {
  const { outDir, node, ext, save } = target;
  const how = {
    force: target.rewrite ?? false,
    guard: target.guard ?? BASE_WRITE_GUARD,
    check: target.check,
    crashPoint: target.crashPoint,
    onWritten: target.onWritten,
    paid: target.paid,
  };
  const output = outputPathFor(outDir, node, ext);
  const wrote = await materializeOrExplain(blob, output, how);
  const copy = saveCopyPath(save, ext);
  const savedCopy = copy === null ? false : await materializeOrExplain(blob, copy, how);
  return { output, restored: wrote || savedCopy };
}

/** {@link materialize}, with a permission, disk or path failure turned into an error naming `dest`. */
async function materializeOrExplain(blob: string, dest: string, how: MaterializeHow): Promise<boolean> {
  try {
    const wrote = await materialize(blob, dest, how);
    if (wrote) how.onWritten?.(dest);
    return wrote;
  } catch (e) {
    throw outputWriteError(e, dest, how.paid);
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

/** Every extension a downloaded output is saved under by its media type. */
export const OUTPUT_EXTENSIONS: readonly string[] = [...new Set(Object.values(EXT_BY_TYPE))];

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
