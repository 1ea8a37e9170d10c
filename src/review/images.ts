/**
 * Decoding for the review: an image file → CIELAB at a small common size. sharp is loaded on
 * first use (a fully cached run never pays for it) and does the decoding, orientation and
 * resizing on its thread pool; only the colour conversion runs in JS.
 *
 * The common size follows the OUTPUT: its aspect ratio, longest side {@link REVIEW_SIDE} (or less
 * for a smaller output). An input of another aspect ratio is centre-cropped to it ("cover"), never
 * stretched ("fill" would count every pixel of an honest re-framing as changed); what the crop
 * cuts away is not compared. See docs/architecture.md#change-maps-and-drift.
 */
import type { Sharp } from 'sharp';
import type { LabImage } from './metric.js';

/** Longest side of the review size, in pixels. */
const REVIEW_SIDE = 256;

export interface Box {
  readonly width: number;
  readonly height: number;
}

type SharpFactory = typeof import('sharp')['default'];

let loading: Promise<SharpFactory> | null = null;

/** sharp, imported once on first use. */
export function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((m) => {
    m.default.cache(false);
    return m.default;
  });
  return loading;
}

/** The output, shrunk to fit {@link REVIEW_SIDE} (never enlarged), in Lab: its size is the review's box. */
export async function labInside(path: string, side = REVIEW_SIDE): Promise<LabImage> {
  const sharp = await loadSharp();
  return toLab(sharp(path, { autoOrient: true }).resize(side, side, { fit: 'inside', withoutEnlargement: true }));
}

/** Another image at exactly `box`: centre-cropped to its aspect ratio, then resized. */
export async function labAt(path: string, box: Box): Promise<LabImage> {
  const sharp = await loadSharp();
  return toLab(sharp(path, { autoOrient: true }).resize(box.width, box.height, { fit: 'cover', position: 'centre' }));
}

/**
 * Flatten onto white and convert to CIELAB (D65) as floats — all in libvips, on its threads, so
 * the event loop only sees the result.
 */
async function toLab(pipeline: Sharp): Promise<LabImage> {
  const { data, info } = await pipeline
    .flatten({ background: '#ffffff' })
    .toColourspace('lab')
    .raw({ depth: 'float' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 Lab channels, got ${info.channels}`);
  // A small result may sit in Node's shared pool at an offset a Float32Array cannot start at.
  const bytes = data.byteOffset % 4 === 0 ? data : Buffer.from(data);
  const lab = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return { width: info.width, height: info.height, lab };
}
