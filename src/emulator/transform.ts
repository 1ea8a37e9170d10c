/**
 * The emulated "edit": a deterministic, visible transformation of the input derived from
 * sha256(input bytes, prompt, seed) — a hue rotation, a tinted band and a frame whose colours
 * and positions come from the hash — sized to the aspect ratio and marked EMULATED (a visible
 * badge and PNG text chunks). Same input, prompt and seed → byte-identical PNG.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { badgeSize, badgeSvg } from './bitmap-font.js';
import { ImageFetchError } from './fetch-input.js';
import { ratioOf, type AspectRatio } from './model-info.js';
import { withPngText } from './png-text.js';

const MAX_SIDE = 1024;
const MIN_SIDE = 64;

export interface EditInput {
  readonly image: Buffer;
  readonly prompt: string;
  readonly seed: number;
  readonly aspectRatio?: AspectRatio | undefined;
}

/** sha256 over length-prefixed parts, so ("ab","c") and ("a","bc") differ. */
export function editDigest(input: EditInput): Buffer {
  const h = createHash('sha256');
  for (const part of [input.image, Buffer.from(input.prompt, 'utf8'), Buffer.from(String(input.seed))]) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64BE(BigInt(part.length));
    h.update(len).update(part);
  }
  return h.digest();
}

/** Output size: the requested ratio (or the input's), long side clamped to 64..1024. */
export function outputSize(width: number, height: number, ar?: AspectRatio): { width: number; height: number } {
  const long = Math.min(MAX_SIDE, Math.max(MIN_SIDE, width, height));
  const [rw, rh] = ar ? ratioOf(ar) : [width, height];
  if (rw >= rh) return { width: long, height: Math.max(1, Math.round((long * rh) / rw)) };
  return { width: Math.max(1, Math.round((long * rw) / rh)), height: long };
}

const hex = (b: Buffer, at: number): string => b.subarray(at, at + 3).toString('hex');

function overlaySvg(width: number, height: number, d: Buffer): Buffer {
  const frame = Math.max(2, Math.round(Math.max(width, height) / 64));
  const bandH = Math.max(2, Math.round(height * 0.08));
  const bandY = Math.round(((d[7] ?? 0) / 255) * (height - bandH));
  const scale = Math.max(1, Math.floor(Math.min(width, height) / 160));
  const badge = badgeSize('EMULATED');
  const bx = Math.max(0, width - frame - badge.w * scale - frame);
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`,
    `<rect x="0" y="${bandY}" width="${width}" height="${bandH}" fill="#${hex(d, 1)}" fill-opacity="0.45"/>`,
    `<rect x="${frame / 2}" y="${frame / 2}" width="${width - frame}" height="${height - frame}" fill="none" stroke="#${hex(d, 4)}" stroke-width="${frame}"/>`,
    badgeSvg('EMULATED', bx, frame * 2, scale),
    '</svg>',
  ].join('');
  return Buffer.from(svg);
}

async function inputSize(image: Buffer): Promise<{ width: number; height: number }> {
  try {
    const m = await sharp(image).metadata();
    const swap = (m.orientation ?? 1) >= 5;
    if (!m.width || !m.height) throw new Error('no dimensions');
    return swap ? { width: m.height, height: m.width } : { width: m.width, height: m.height };
  } catch {
    throw new ImageFetchError(`could not fetch image_url: the fetched content is not a supported image (${image.length} bytes)`);
  }
}

/** Render the emulated edit as PNG bytes. Throws {@link ImageFetchError} when the input is not an image. */
export async function renderEdit(input: EditInput): Promise<Buffer> {
  const d = editDigest(input);
  const src = await inputSize(input.image);
  const { width, height } = outputSize(src.width, src.height, input.aspectRatio);
  const hue = 30 + Math.round(((d[0] ?? 0) / 255) * 300);
  const png = await sharp(input.image)
    .rotate()
    .resize(width, height, { fit: 'cover', position: 'centre' })
    .modulate({ hue, saturation: 1.2 })
    .composite([{ input: overlaySvg(width, height, d), top: 0, left: 0 }])
    .png({ compressionLevel: 6, adaptiveFiltering: false, palette: false })
    .toBuffer();
  return withPngText(png, {
    Software: 'kontext emulator',
    Comment: `EMULATED output (not a real model result); digest ${d.toString('hex').slice(0, 16)}`,
  });
}
