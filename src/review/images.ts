/**
 * Decoding for the review: an image file → 8-bit sRGB at a small common size, then CIELAB. sharp
 * is loaded on first use (a fully cached run never pays for it) and does the decoding,
 * orientation and resizing on its thread pool into 8-bit sRGB; the colour conversion to Lab runs
 * in JS (lab.ts), so a caller can keep the 3-byte pixels and convert when it compares.
 *
 * The common size follows the OUTPUT: its aspect ratio, longest side {@link REVIEW_SIDE} (or less
 * for a smaller output). An input of another aspect ratio is centre-cropped to it ("cover"), never
 * stretched ("fill" would count every pixel of an honest re-framing as changed); what the crop
 * cuts away is not compared. See docs/architecture.md#change-maps-and-drift.
 */
import type { Sharp } from 'sharp';
import { srgbToLab } from './lab.js';
import type { LabImage } from './metric.js';

/** Longest side of the review size, in pixels. */
const REVIEW_SIDE = 256;

export interface Box {
  readonly width: number;
  readonly height: number;
}

/** An image in 8-bit sRGB: `rgb[3 * i]` is R, then G, B; `width * height` pixels. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

type SharpFactory = typeof import('sharp')['default'];

let loading: Promise<SharpFactory> | null = null;

/**
 * sharp, imported once on first use, with libvips' operation cache off: each review decodes
 * distinct files once, and the cache kept up to 50 MB of their pixels.
 */
function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then((m) => {
    m.default.cache(false);
    return m.default;
  });
  return loading;
}

/** The output, shrunk to fit {@link REVIEW_SIDE} (never enlarged): its size is the review's box. */
export async function rgbInside(path: string, side = REVIEW_SIDE): Promise<RgbImage> {
  const sharp = await loadSharp();
  return toRgb(sharp(path, { autoOrient: true }).resize(side, side, { fit: 'inside', withoutEnlargement: true }));
}

/** Another image at exactly `box`: centre-cropped to its aspect ratio, then resized. */
export async function rgbAt(path: string, box: Box): Promise<RgbImage> {
  const sharp = await loadSharp();
  return toRgb(sharp(path, { autoOrient: true }).resize(box.width, box.height, { fit: 'cover', position: 'centre' }));
}

/** {@link rgbInside} in Lab. */
export async function labInside(path: string, side = REVIEW_SIDE): Promise<LabImage> {
  return labOf(await rgbInside(path, side));
}

/** {@link rgbAt} in Lab. */
export async function labAt(path: string, box: Box): Promise<LabImage> {
  return labOf(await rgbAt(path, box));
}

/** The same pixels in CIELAB (lab.ts: lookup tables, ~0.1 ms at 64 x 64). */
export function labOf(image: RgbImage): LabImage {
  return { width: image.width, height: image.height, lab: srgbToLab(image.rgb) };
}

/**
 * Flatten onto white and come out as 8-bit sRGB (one pipeline, on sharp's threads); the small
 * result goes to Lab in JS (lab.ts), cheaper than a float Lab pipeline in libvips.
 */
async function toRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 sRGB channels, got ${info.channels}`);
  return { width: info.width, height: info.height, rgb: data };
}
