/**
 * What may be uploaded: only files under the project root or the cache dir (or roots the user
 * allowed explicitly), only whole images of a sane size (image-check.ts: a PNG cut short, text
 * behind an image's first bytes, or a header declaring a decompression bomb is refused before
 * any byte leaves), and only if their bytes still match the sha256 the runner computed —
 * the object name is that sha256, so a wrong body would poison every later run. The media type
 * an image is sent with is the one its bytes say (the checks below return it), never its name's.
 * Symlinks are followed on purpose: a project may link its assets folder elsewhere; the check
 * stops recipes from naming `../../etc/passwd`, not the user from organising their disk.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { bufferReader, fileReader, type ByteReader, type ClosableReader } from '../util/image-probe.js';
import { mediaTypeOfKind } from '../util/image-sniff.js';
import { sniffImageFile } from '../util/sniff-file.js';
import { HostingError } from './errors.js';
import { checkInputImage } from './image-check.js';
import type { HostableImage } from './types.js';
import { retryFdLimit } from '../util/fd-limit.js';

function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Throw unless `path` is absolute and lies inside one of `roots`. No file-system access. */
export function assertHostablePath(path: string, roots: readonly string[]): void {
  if (!isAbsolute(path)) {
    throw new HostingError(
      'E_HOSTING_INPUT_REFUSED',
      `refusing to host ${JSON.stringify(path)}: not an absolute path`,
      {
        hint: 'this is a bug in the caller: hosting takes absolute paths',
      },
    );
  }
  const normal = resolve(path);
  if (roots.some((root) => isInside(root, normal))) return;
  throw new HostingError(
    'E_HOSTING_INPUT_REFUSED',
    `refusing to host ${normal}: it is outside the project root and the cache dir`,
    {
      hint: "only the recipe's own sources and outputs are uploaded; move the file into the project",
    },
  );
}

/**
 * The media type of each whole image this process checked, by the sha256 of the very bytes
 * checked: the check is a function of the bytes, and a source sent by many nodes (variants, a
 * chain's inline input) is inflated once, not once per node (PNG: ~11 ms at 1024 px). Cleared
 * when full.
 */
const checkedImages = new Map<string, string>();
const CHECKED_IMAGES_MAX = 10_000;

/**
 * Read a (small) file whole, throw unless it is a regular file whose sha256 is the expected one
 * and a whole image: the bytes that are sent (never the file read again: it may change), and
 * their media type.
 */
export async function readHostableFile(
  image: HostableImage,
  signal?: AbortSignal,
): Promise<{ readonly body: Buffer; readonly mediaType: string }> {
  await hostableFileSize(image.path);
  const body = await retryFdLimit(() => readFile(image.path, signal ? { signal } : {}));
  const sha256 = createHash('sha256').update(body).digest('hex');
  assertSameBytes(image, sha256);
  const known = checkedImages.get(sha256);
  if (known !== undefined) return { body, mediaType: known };
  const mediaType = await refuseUnlessImage(image.path, bufferReader(body));
  if (checkedImages.size >= CHECKED_IMAGES_MAX) checkedImages.clear();
  checkedImages.set(sha256, mediaType);
  return { body, mediaType };
}

/**
 * Throw `E_HOSTING_INPUT_REFUSED` (exit 65) unless the file is a whole image of a sane size
 * (image-check.ts: a few small reads, its header and its end); typed errors for a missing file
 * or a folder, as {@link hostableFileSize}. Returns the media type of its bytes.
 */
export async function assertHostableImageFile(path: string): Promise<string> {
  await hostableFileSize(path);
  let reader: ClosableReader;
  try {
    reader = await fileReader(path);
  } catch (e) {
    throw new HostingError(
      'E_HOSTING_INPUT_MISSING',
      `cannot host ${path}: the file does not exist or cannot be read`,
      {
        cause: e,
      },
    );
  }
  try {
    return await refuseUnlessImage(path, reader);
  } finally {
    await reader.close?.();
  }
}

/** The media type of the image `reader` reads; `E_HOSTING_INPUT_REFUSED` naming `path` unless it is a whole one. */
export async function refuseUnlessImage(path: string, reader: ByteReader): Promise<string> {
  const check = await checkInputImage(reader);
  if (check.ok) return check.mediaType;
  throw new HostingError('E_HOSTING_INPUT_REFUSED', `refusing to host ${path}: ${check.problem}`, {
    hint: 'kontext sends the API only whole images of a sane size: export the file again, or scale it down',
  });
}

export function assertSameBytes(image: HostableImage, sha256: string): void {
  if (sha256 === image.sha256.toLowerCase()) return;
  throw new HostingError(
    'E_HOSTING_INPUT_CHANGED',
    `${image.path} changed while kontext was running (its bytes no longer match)`,
    {
      hint: 'run again once the file is no longer being written',
    },
  );
}

/** The size of a regular file; typed errors for a missing file or a folder/device. */
export async function hostableFileSize(path: string): Promise<number> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    throw new HostingError(
      'E_HOSTING_INPUT_MISSING',
      `cannot host ${path}: the file does not exist or cannot be read`,
      { cause: e },
    );
  }
  if (!info.isFile()) {
    throw new HostingError('E_HOSTING_INPUT_REFUSED', `refusing to host ${path}: not a regular file`);
  }
  return info.size;
}

/** For previews: the media type of the file's first bytes; `null` when unreadable or not an image. */
export async function previewMediaType(path: string): Promise<string | null> {
  // A file this user may not read (sniffImageFile throws): the real upload says so; a preview shows none.
  const kind = await sniffImageFile(path).catch(() => null);
  return kind === null ? null : mediaTypeOfKind(kind);
}

/** For previews: the file's current size if it can be read, else the caller's hint. */
export async function previewSize(image: HostableImage): Promise<number> {
  try {
    return (await stat(image.path)).size;
  } catch {
    return image.bytes;
  }
}
