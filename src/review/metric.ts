/**
 * The change metric (docs/architecture.md#change-maps-and-drift): CIE76 colour difference
 * (ΔE*ab, the Euclidean distance in CIELAB, D65 white) between two images of the same size, pixel
 * by pixel. Pure: pixels in, numbers out.
 *
 * Why CIE76 and not CIEDE2000 or pixelmatch's YIQ: Lab is close enough to perceptually uniform for
 * a yes/no "did this pixel visibly change" at a threshold well above the just-noticeable
 * difference (ΔE ≈ 2.3), it costs one table look-up and a cube root per channel (no trigonometry),
 * and its unit is one people already know. CIEDE2000's corrections matter near the JND, not at 10.
 */

/** The metric's name, as stored in a record's `review.metric`. */
export const METRIC = 'cie76-lab';

/**
 * A pixel counts as changed when its ΔE*ab is above this. 2.3 is just noticeable side by side;
 * 10 is a difference seen at a glance. Recompression and resampling noise of a re-encoded image,
 * averaged down to the review size, stays well below it (see test/unit/review/metric.test.ts).
 */
export const CHANGE_THRESHOLD = 10;

/** An image in CIELAB: `lab[3 * i]` is L*, then a*, b*; `width * height` pixels. */
export interface LabImage {
  readonly width: number;
  readonly height: number;
  readonly lab: Float32Array;
}

/** sRGB 8-bit → linear light, once for all 256 values. */
const LINEAR = new Float32Array(256);
for (let v = 0; v < 256; v++) {
  const c = v / 255;
  LINEAR[v] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** D65 reference white. */
const XN = 0.95047;
const ZN = 1.08883;
const EPS = 216 / 24389;
const KAPPA = 24389 / 27;

function f(t: number): number {
  return t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

/** Interleaved 8-bit sRGB (`channels` 3 or 4; a 4th channel is ignored: flatten first) → Lab. */
export function toLab(rgb: Uint8Array, width: number, height: number, channels = 3): LabImage {
  const n = width * height;
  if (rgb.length < n * channels) throw new RangeError(`expected ${n * channels} bytes, got ${rgb.length}`);
  const lab = new Float32Array(n * 3);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const r = LINEAR[rgb[p] as number] as number;
    const g = LINEAR[rgb[p + 1] as number] as number;
    const b = LINEAR[rgb[p + 2] as number] as number;
    const fx = f((0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN);
    const fy = f(0.2126729 * r + 0.7151522 * g + 0.072175 * b);
    const fz = f((0.0193339 * r + 0.119192 * g + 0.9503041 * b) / ZN);
    lab[3 * i] = 116 * fy - 16;
    lab[3 * i + 1] = 500 * (fx - fy);
    lab[3 * i + 2] = 200 * (fy - fz);
  }
  return { width, height, lab };
}

/** ΔE*ab per pixel of two same-sized Lab images. */
export function deltaE(a: LabImage, b: LabImage): Float32Array {
  if (a.width !== b.width || a.height !== b.height)
    throw new RangeError(`size mismatch: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const n = a.width * a.height;
  const out = new Float32Array(n);
  const x = a.lab;
  const y = b.lab;
  for (let i = 0; i < n; i++) {
    const dl = (x[3 * i] as number) - (y[3 * i] as number);
    const da = (x[3 * i + 1] as number) - (y[3 * i + 1] as number);
    const db = (x[3 * i + 2] as number) - (y[3 * i + 2] as number);
    out[i] = Math.sqrt(dl * dl + da * da + db * db);
  }
  return out;
}

/** Percentage (0–100, two decimals) of pixels whose ΔE is above `threshold`. */
export function changedPercent(delta: Float32Array, threshold = CHANGE_THRESHOLD): number {
  if (delta.length === 0) return 0;
  let over = 0;
  for (const d of delta) if (d > threshold) over++;
  return Math.round((over / delta.length) * 10_000) / 100;
}
