/**
 * Decoding for the review: an image file → CIELAB at a small common size. sharp is loaded on
 * first use (a fully cached run never pays for it) and does the decoding, orientation and
 * resizing on its thread pool into 8-bit sRGB; the colour conversion to Lab runs in JS (lab.ts).
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
 * Flatten onto white and come out as 8-bit sRGB (one pipeline, on sharp's threads); the small
 * result goes to Lab in JS (lab.ts), cheaper than a float Lab pipeline in libvips.
 */
async function toLab(pipeline: Sharp): Promise<LabImage> {
  const { data, info } = await pipeline
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 sRGB channels, got ${info.channels}`);
  return { width: info.width, height: info.height, lab: srgbToLab(data) };
}
