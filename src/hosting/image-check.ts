/**
 * Whether a file is an image kontext may send to an API (guard.ts asks). `util/image-probe.ts`
 * judges outputs, which must end where the format ends; an input may carry bytes after a
 * complete image (some cameras append a trailer, a motion photo a video: decoders stop at the
 * image's end), so when the probe finds the end missing, the format's end marker is looked for
 * earlier in the file and the image up to it is probed instead. Refused: not an image at all,
 * an image cut short (no end anywhere), a header declaring more than {@link MAX_INPUT_PIXELS},
 * a PNG whose chunk checksums do not match (png-crc.ts: garbled in the middle; JPEG has no
 * checksum, so a JPEG damaged inside its scan data still passes).
 * An accepted image's media type is the one its bytes say, never its file name's: a JPEG named
 * `.png` is sent labelled `image/jpeg`.
 */
import { probeImage, type ByteReader } from '../util/image-probe.js';
import { sniffImage, SNIFF_BYTES } from '../util/image-sniff.js';
import { pngCrcProblem } from './png-crc.js';

/**
 * The most pixels an input image may declare: sharp's (libvips') default decode limit, 0x3FFF².
 * A 100 MP camera frame is far below; a header claiming more (40000x40000) is a decompression
 * bomb, or more than any edit model reads, and the API would fail on it after being paid.
 */
const MAX_INPUT_PIXELS = 0x3fff * 0x3fff;

/** Chunks or segments walked at most looking for an image's end. */
const MAX_STEPS = 1_000_000;
const SCAN_BYTES = 256 * 1024;

/** An image that may be sent, with the media type of its bytes; or why not (`not an image (…)`, a size). */
export type InputImageCheck =
  | { readonly ok: true; readonly mediaType: string }
  | { readonly ok: false; readonly problem: string };

export async function checkInputImage(reader: ByteReader): Promise<InputImageCheck> {
  let probe = await probeImage(reader);
  if (!probe.ok && probe.problem === 'damaged') {
    const end = await earlierEnd(reader);
    const whole = end === null ? null : await probeImage(prefixReader(reader, end));
    if (whole?.ok) probe = whole;
  }
  if (!probe.ok) {
    const what = probe.problem === 'not-image' ? 'not an image' : 'not a whole image';
    return { ok: false, problem: `${what} (${probe.detail.replace(/^the body\b/, 'the file')})` };
  }
  const tooLarge = overPixels(probe.width, probe.height);
  if (tooLarge !== null) return { ok: false, problem: tooLarge };
  const damaged = probe.kind === 'png' ? await pngCrcProblem(reader) : null;
  if (damaged !== null) return { ok: false, problem: `not a whole image (${damaged})` };
  return { ok: true, mediaType: probe.mediaType };
}

/**
 * {@link checkInputImage} without its costly parts, for `kontext validate`: the kind, size and ends
 * the probe reads (the head, the tail), the pixel limit; no PNG CRC pass. Only an image whose end
 * is not where the file ends (cut short, or followed by other bytes) gets the whole check.
 */
export async function checkInputHeader(reader: ByteReader): Promise<InputImageCheck> {
  const probe = await probeImage(reader);
  if (!probe.ok) return checkInputImage(reader);
  const tooLarge = overPixels(probe.width, probe.height);
  return tooLarge === null ? { ok: true, mediaType: probe.mediaType } : { ok: false, problem: tooLarge };
}

function overPixels(width: number, height: number): string | null {
  const pixels = width * height;
  if (pixels <= MAX_INPUT_PIXELS) return null;
  const mp = (n: number): string => `${Math.round(n / 1e6)} MP`;
  return (
    `its header declares ${width}x${height} pixels (${mp(pixels)}), ` +
    `over the ${mp(MAX_INPUT_PIXELS)} an input image may have`
  );
}

/** The first `size` bytes of `reader`. */
function prefixReader(reader: ByteReader, size: number): ByteReader {
  return { size, read: (position, length) => reader.read(position, Math.max(0, Math.min(length, size - position))) };
}

/** Where a complete image ends before the end of the file (bytes follow it), or `null`. */
async function earlierEnd(reader: ByteReader): Promise<number | null> {
  const kind = sniffImage(await reader.read(0, Math.max(SNIFF_BYTES, 64)));
  let end: number | null = null;
  if (kind === 'png') end = await pngEnd(reader);
  if (kind === 'jpeg') end = await jpegEnd(reader);
  return end !== null && end < reader.size ? end : null;
}

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) >>> 0) + ((b[at + 1] ?? 0) << 16) + ((b[at + 2] ?? 0) << 8) + (b[at + 3] ?? 0);
}

/** Just past the IEND chunk, walking the chunks from the signature; `null` when the walk runs off the end. */
async function pngEnd(reader: ByteReader): Promise<number | null> {
  let at = 8;
  for (let steps = 0; steps < MAX_STEPS && at + 12 <= reader.size; steps++) {
    const head = await reader.read(at, 8);
    const next = at + 12 + u32be(head, 0);
    if (String.fromCharCode(...head.subarray(4, 8)) === 'IEND') return next;
    at = next;
  }
  return null;
}

/**
 * Just past the EOI marker: the segments are walked to the first scan (SOS), then the scan data
 * is searched for FF D9 (inside it, an FF is always followed by 00 or a restart marker).
 */
async function jpegEnd(reader: ByteReader): Promise<number | null> {
  let at = 2;
  for (let steps = 0; ; steps++) {
    if (steps >= MAX_STEPS || at + 4 > reader.size) return null;
    const seg = await reader.read(at, 4);
    if (seg[0] !== 0xff) return null;
    const marker = seg[1] ?? 0;
    if (marker === 0xda) break;
    if (marker === 0xff) at += 1;
    else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) at += 2;
    else if (marker === 0xd9) return null;
    else at += 2 + (((seg[2] ?? 0) << 8) | (seg[3] ?? 0));
  }
  for (let from = at + 2; from < reader.size; from += SCAN_BYTES - 1) {
    const chunk = await reader.read(from, SCAN_BYTES);
    for (let i = 0; i + 1 < chunk.length; i++) if (chunk[i] === 0xff && chunk[i + 1] === 0xd9) return from + i + 2;
  }
  return null;
}
