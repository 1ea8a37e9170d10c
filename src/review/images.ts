/**
 * Decoding for the review: an image file → 8-bit sRGB at a small common size, then CIELAB. sharp
 * is loaded on first use (a fully cached run never pays for it) and does the decoding,
 * orientation (EXIF), colour management (an embedded ICC profile: Display P3, CMYK) and resizing
 * on its thread pool into 8-bit sRGB (with alpha when the image has any); flattening onto white
 * and the colour conversion to Lab run in JS (lab.ts), so a caller can keep the 3-byte pixels and
 * convert when it compares.
 * A mostly transparent pixel is noted (`seen`): the metric leaves it out.
 *
 * The common size follows the OUTPUT: its aspect ratio, longest side {@link REVIEW_SIDE} (or less
 * for a smaller output). An input of another aspect ratio is laid on it centre-cropped ("cover"),
 * stretched ("fill") or fitted inside ("contain", the margins not compared): the reviewer keeps
 * the one that changed least (a provider may have cropped, resized or extended the picture).
 * See docs/architecture.md#change-maps-and-drift.
 */
import { open } from 'node:fs/promises';
import type { Sharp } from 'sharp';
import { fileReader, probeImage } from '../util/image-probe.js';
import { srgbToLab } from './lab.js';
import type { LabImage } from './metric.js';

/** Longest side of the review size, in pixels. */
const REVIEW_SIDE = 256;

export interface Box {
  readonly width: number;
  readonly height: number;
}

/**
 * An image in 8-bit sRGB, flattened onto white: `rgb[3 * i]` is R, then G, B; `width * height`
 * pixels. `seen[i]` is 1 where the pixel is at least half opaque, 0 where it is mostly
 * transparent; `null` when every pixel is (an opaque image: the common case).
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  readonly seen: Uint8Array | null;
  /** Resized to a given box, the file's aspect ratio (after EXIF) was not the box's by a pixel or more. */
  readonly reframed?: boolean | undefined;
}

/**
 * How an input of another aspect ratio is laid on the output's box: centre-cropped to it (the
 * first choice: a re-framing that cut the sides away), stretched to it (a provider that resized
 * to its own size), or fitted inside it, the margins not compared (an output that extended the
 * picture). See {@link Reviewer}.
 */
export type Fit = 'cover' | 'fill' | 'contain';

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

/**
 * Another image at exactly `box`, laid on it as `fit` says (centred). `cover` resizes it to cover
 * the box (libvips' `outside`), which tells its aspect ratio, then cuts the centre in JS, as
 * `cover` would have: no second look at the file.
 */
export async function rgbAt(path: string, box: Box, fit: Fit = 'cover'): Promise<RgbImage> {
  const sharp = await loadSharp();
  const image = sharp(path, { autoOrient: true });
  if (fit !== 'cover')
    return toRgb(image.resize(box.width, box.height, { fit, position: 'centre', background: CLEAR }));
  const outside = await toRgb(image.resize(box.width, box.height, { fit: 'outside' }));
  if (outside.width === box.width && outside.height === box.height) return { ...outside, reframed: false };
  return { ...centre(outside, box), reframed: true };
}

/** The centre `box` of a larger image. */
function centre(image: RgbImage, box: Box): RgbImage {
  const left = Math.floor((image.width - box.width + 1) / 2); // as libvips centres a crop
  const top = Math.floor((image.height - box.height + 1) / 2);
  const rgb = new Uint8Array(3 * box.width * box.height);
  let seen: Uint8Array | null = null;
  for (let y = 0; y < box.height; y++) {
    const from = (top + y) * image.width + left;
    rgb.set(image.rgb.subarray(3 * from, 3 * (from + box.width)), 3 * y * box.width);
    if (image.seen === null) continue;
    seen ??= new Uint8Array(box.width * box.height);
    seen.set(image.seen.subarray(from, from + box.width), y * box.width);
  }
  return { width: box.width, height: box.height, rgb, seen: seen?.includes(0) ? seen : null };
}

/** The margins of a `contain` fit: transparent, so not compared. */
const CLEAR = { r: 0, g: 0, b: 0, alpha: 0 };

/**
 * Why `path` could not be decoded, in words for a warning: its size when it is over sharp's
 * pixel limit (`limitInputPixels`, 268 megapixels: what keeps a huge image from exhausting
 * memory), else sharp's own reason, said to be a damaged or unknown file. `use`: what it was
 * decoded for (a review, or the report's thumbnail: `show`).
 */
export async function whyUndecodable(path: string, e: unknown, use: 'review' | 'show' = 'review'): Promise<string> {
  // libvips' detail after sharp's words is often empty: "Input file has corrupt header: ".
  const reason = (e instanceof Error ? e.message : String(e)).trim().replace(/:$/, '');
  if (/pixel limit/i.test(reason)) {
    const sharp = await loadSharp();
    const size = await sharp(path, { limitInputPixels: false })
      .metadata()
      .then(
        (m) => `${m.width} x ${m.height} px, `,
        () => '',
      );
    return `is too large to ${use} (${size}over the ${Math.floor(LIMIT_PIXELS / 1e6)}-megapixel limit)`;
  }
  // libvips says a file it could not open is of an "unsupported image format": look for ourselves.
  const unopened = await openFailure(path);
  if (unopened !== null) return `cannot be opened (${unopened})`;
  const whole = /unsupported image format/i.test(reason) ? await wholeImage(path) : null;
  if (whole !== null)
    return (
      `could not be read (${reason}), though it is a whole ${whole}: ` +
      'opening it failed for a moment (too many open files?)'
    );
  return `cannot be decoded (damaged, truncated or not an image: ${reason})`;
}

/** Why `path` cannot be opened for reading now (`too many open files, EMFILE`); null when it can. */
async function openFailure(path: string): Promise<string | null> {
  try {
    await (await open(path, 'r')).close();
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const words = code === undefined ? undefined : OPEN_FAILURES[code];
    if (words !== undefined) return `${words}, ${code}`;
    return code ?? (e instanceof Error ? e.message : String(e));
  }
}

const OPEN_FAILURES: Readonly<Record<string, string>> = {
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  ENOENT: 'it is gone',
  EACCES: 'no permission to read it',
};

/**
 * `PNG 1024 x 768 px` when the file's bytes are a whole image of a kind sharp always decodes (PNG,
 * JPEG, WebP, GIF), so its failure was not the file's; null otherwise (or when it cannot be read).
 */
async function wholeImage(path: string): Promise<string | null> {
  let reader: Awaited<ReturnType<typeof fileReader>> | undefined;
  try {
    reader = await fileReader(path);
    const probe = await probeImage(reader);
    if (!probe.ok || !['png', 'jpeg', 'webp', 'gif'].includes(probe.kind)) return null;
    return `${probe.kind.toUpperCase()} ${probe.width} x ${probe.height} px`;
  } catch {
    return null;
  } finally {
    await reader?.close?.().catch(() => undefined);
  }
}

/** sharp's default `limitInputPixels` (0x3FFF squared), which the review keeps. */
const LIMIT_PIXELS = 0x3fff * 0x3fff;

/** {@link rgbInside} in Lab. */
export async function labInside(path: string, side = REVIEW_SIDE): Promise<LabImage> {
  return labOf(await rgbInside(path, side));
}

/** {@link rgbAt} in Lab. */
export async function labAt(path: string, box: Box, fit: Fit = 'cover'): Promise<LabImage> {
  return labOf(await rgbAt(path, box, fit));
}

/** The same pixels in CIELAB (lab.ts: lookup tables, ~0.1 ms at 64 x 64). */
export function labOf(image: RgbImage): LabImage {
  return { width: image.width, height: image.height, lab: srgbToLab(image.rgb), seen: image.seen };
}

/**
 * Come out as 8-bit sRGB (one pipeline, on sharp's threads), with alpha when the image has any:
 * then flatten onto white and note which pixels are seen (alpha ≥ 128) in JS; an opaque image's
 * pixels are used as they come (no alpha band added by libvips and stripped again here). The small
 * result goes to Lab in JS (lab.ts), cheaper than a float Lab pipeline in libvips.
 */
async function toRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  // A plain Uint8Array over sharp's buffer, as every other image's pixels (one kind of array for lab.ts).
  if (info.channels === 3)
    return {
      width: info.width,
      height: info.height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, 3 * n),
      seen: null,
    };
  if (info.channels !== 4) throw new Error(`expected 3 or 4 sRGB channels, got ${info.channels}`);
  const rgb = new Uint8Array(3 * n);
  let seen: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const a = data[4 * i + 3] as number;
    if (a === 255) {
      rgb[3 * i] = data[4 * i] as number;
      rgb[3 * i + 1] = data[4 * i + 1] as number;
      rgb[3 * i + 2] = data[4 * i + 2] as number;
      continue;
    }
    const white = 255 - a;
    for (let c = 0; c < 3; c++) rgb[3 * i + c] = Math.round(((data[4 * i + c] as number) * a) / 255 + white);
    if (a < 128) {
      seen ??= new Uint8Array(n).fill(1);
      seen[i] = 0;
    }
  }
  return { width: info.width, height: info.height, rgb, seen };
}
