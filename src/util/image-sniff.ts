/**
 * What kind of image a file is, from its first bytes (its "magic number"), never from its name.
 * Used wherever bytes cross a trust boundary: a source before it is hashed or hosted (a recipe
 * must not be able to upload `.env` as a "photo"), and an output before it is stored.
 */

export type ImageKind = 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'heic';

/** How many leading bytes `sniffImage` needs to decide. */
export const SNIFF_BYTES = 32;

const MEDIA_TYPES: Readonly<Record<ImageKind, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heic: 'image/heic',
};

const EXTENSIONS: Readonly<Record<ImageKind, string>> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  heic: 'heic',
};

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

function startsWith(head: Uint8Array, bytes: readonly number[], at = 0): boolean {
  if (head.length < at + bytes.length) return false;
  return bytes.every((b, i) => head[at + i] === b);
}

function ascii(head: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...head.subarray(from, to));
}

/** ISO-BMFF (`ftyp` box): AVIF or HEIC by major or compatible brand. */
function sniffBmff(head: Uint8Array): ImageKind | null {
  if (head.length < 12 || ascii(head, 4, 8) !== 'ftyp') return null;
  const boxSize = ((head[0] ?? 0) << 24) | ((head[1] ?? 0) << 16) | ((head[2] ?? 0) << 8) | (head[3] ?? 0);
  const end = Math.min(head.length, boxSize > 0 ? boxSize : head.length);
  const brands = [ascii(head, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(head, i, i + 4));
  if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
  if (brands.some((b) => HEIC_BRANDS.has(b))) return 'heic';
  return null;
}

/** The image kind of `head` (the file's first `SNIFF_BYTES` bytes or more), or null when it is not one we accept. */
export function sniffImage(head: Uint8Array): ImageKind | null {
  if (startsWith(head, PNG)) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && ascii(head, 8, 12) === 'WEBP') return 'webp';
  if (head.length >= 6 && (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')) return 'gif';
  return sniffBmff(head);
}

/** How many leading bytes {@link otherImageKind} looks at: an SVG's `<svg` may come after an XML declaration. */
export const OTHER_SNIFF_BYTES = 512;

const TIFF = [
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
  [0x49, 0x49, 0x2b, 0x00],
  [0x4d, 0x4d, 0x00, 0x2b],
] as const;
const JXL_BOX = [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const JP2_BOX = [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
/** A BMP's info header sizes (core, v1 to v5), at byte 14. */
const BMP_HEADERS = new Set([12, 40, 52, 56, 64, 108, 124]);

/**
 * An image kind kontext does not send, by name for a message (`TIFF`, `SVG`), from a file's first
 * bytes (up to {@link OTHER_SNIFF_BYTES}); null when it is none of these either. Only asked of a
 * file {@link sniffImage} refused, so a refusal can say "not a supported image kind" (walk-af 10).
 */
export function otherImageKind(head: Uint8Array): string | null {
  if (TIFF.some((magic) => startsWith(head, magic))) return 'TIFF';
  if (startsWith(head, JXL_BOX) || startsWith(head, [0xff, 0x0a])) return 'JPEG XL';
  if (startsWith(head, JP2_BOX)) return 'JPEG 2000';
  if (head.length >= 4 && ascii(head, 0, 4) === '8BPS') return 'Photoshop';
  if (head.length >= 4 && ascii(head, 0, 4) === 'qoif') return 'QOI';
  const bmpHeader = head.length >= 18 ? (head[14] ?? 0) | ((head[15] ?? 0) << 8) | ((head[16] ?? 0) << 16) : 0;
  if (startsWith(head, [0x42, 0x4d]) && BMP_HEADERS.has(bmpHeader) && head[17] === 0) return 'BMP';
  if (startsWith(head, [0, 0, 1, 0]) && ((head[4] ?? 0) | (head[5] ?? 0)) !== 0 && head[5] === 0) return 'ICO';
  // SVG: markup (the decoder drops a BOM) whose first element, past a declaration, comments and a doctype, is <svg>.
  const text = new TextDecoder('utf-8').decode(head.subarray(0, OTHER_SNIFF_BYTES));
  // Each part matches one way only (a comment stops at its first `-->`): no backtracking blow-up.
  if (/^\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(text)) return 'SVG';
  return null;
}

export function mediaTypeOfKind(kind: ImageKind): string {
  return MEDIA_TYPES[kind];
}

/** The file extension (no dot) we write for an image kind: `jpg` for JPEG. */
export function extensionOfKind(kind: ImageKind): string {
  return EXTENSIONS[kind];
}
