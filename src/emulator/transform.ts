/**
 * The emulated "edit": a deterministic, visible transformation of the input derived from
 * sha256(input bytes, prompt, seed) — a hue rotation, a tinted band and a frame whose colours
 * and positions come from the hash — sized to the aspect ratio and marked EMULATED (a visible
 * badge and PNG text chunks). Same input, prompt and seed → byte-identical PNG.
 *
 * Cost matters: a benchmark's emulator renders hundreds of small edits on a shared machine.
 * So one sharp pipeline decodes, orients and resizes straight to raw pixels (its work runs off
 * the event loop), the marks are painted in JS, and the PNG is written by hand. The colour
 * matrix runs in JS for small outputs and in that pipeline for large ones, where a JS pass
 * over every pixel would hold the event loop for tens of ms.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { displayedSize, notAnImage } from './image-size.js';
import { ratioOf, type AspectRatio } from './model-info.js';
import { applyColourMatrix, colourMatrix, paintMarks, type ColourMatrix, type RawImage } from './paint.js';
import { encodePng } from './png-encode.js';

const MAX_SIDE = 1024;
const MIN_SIDE = 64;
/** Up to here (~1 ms of JS) the colour matrix is cheaper in JS than as a sharp stage (~1 ms fixed). */
const JS_COLOUR_MAX_PIXELS = 256 * 256;

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

/**
 * Decode, apply the EXIF orientation, cover-crop to `width`×`height`, recolour by `matrix` if given, as 8-bit sRGB(A).
 */
async function decodeTo(
  image: Buffer,
  width: number,
  height: number,
  matrix: ColourMatrix | undefined,
): Promise<RawImage> {
  try {
    const pipeline = sharp(image).rotate().resize(width, height, { fit: 'cover', position: 'centre' });
    if (matrix) pipeline.recomb([[...matrix[0]], [...matrix[1]], [...matrix[2]]]);
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`unexpected ${info.channels} channels`);
    return {
      data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
  } catch {
    throw notAnImage(image);
  }
}

/** Render the emulated edit as PNG bytes. Throws {@link ImageFetchError} when the input is not an image. */
export async function renderEdit(input: EditInput): Promise<Buffer> {
  const d = editDigest(input);
  const src = await displayedSize(input.image);
  const { width, height } = outputSize(src.width, src.height, input.aspectRatio);
  const matrix = colourMatrix(d);
  const inJs = width * height <= JS_COLOUR_MAX_PIXELS;
  const pixels = await decodeTo(input.image, width, height, inJs ? undefined : matrix);
  if (inJs) applyColourMatrix(pixels, matrix);
  paintMarks(pixels, d);
  return encodePng(pixels, {
    Software: 'kontext emulator',
    Comment: `EMULATED output (not a real model result); digest ${d.toString('hex').slice(0, 16)}`,
  });
}
