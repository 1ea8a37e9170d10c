/**
 * 8-bit sRGB → CIELAB (D65) in JS, through lookup tables: the review works at 256 px at most,
 * where this costs ~1-2 ms and spares libvips a float pipeline (and the copy of four times the
 * bytes). The formulas are the standard ones (IEC 61966-2-1 for sRGB, CIE 1976 for Lab); libvips
 * computes the same to within 0.05 ΔE (test/unit/review/lab.test.ts).
 */

/** Steps of the table of Lab's f(t) over t in [0, 1] (linearly interpolated between them). */
const STEPS = 4096;

/** sRGB byte → linear light, 0-1. */
function linear(byte: number): number {
  const v = byte / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function f(t: number): number {
  return t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
}
/** f(i / STEPS), with one spare entry past t = 1 so interpolation at exactly 1 needs no branch. */
const F = Float64Array.from({ length: STEPS + 2 }, (_, i) => f(i / STEPS));

// Linear sRGB → XYZ, rows divided by the D65 white point (0.95047, 1, 1.08883): X/Xn, Y/Yn, Z/Zn.
const XN = 0.95047;
const ZN = 1.08883;
const M = [
  [0.4124564 / XN, 0.3575761 / XN, 0.1804375 / XN],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339 / ZN, 0.119192 / ZN, 0.9503041 / ZN],
] as const;

/**
 * Each channel's byte → its share of X/Xn, Y/Yn and Z/Zn, times {@link STEPS} (a table index):
 * entry `(3 * channel + row) * 256 + byte`. Three look-ups and two additions per coordinate.
 */
const SHARE = (() => {
  const t = new Float64Array(9 * 256);
  for (let c = 0; c < 3; c++)
    for (let row = 0; row < 3; row++)
      for (let b = 0; b < 256; b++) t[(3 * c + row) * 256 + b] = (M[row]?.[c] as number) * linear(b) * STEPS;
  return t;
})();

/** f(x / STEPS) for x in [0, STEPS] (clamped), linearly interpolated from {@link F}. */
function fAt(x: number): number {
  let t = x;
  if (t < 0) t = 0;
  else if (t > STEPS) t = STEPS;
  const i = t | 0;
  const lo = F[i] as number;
  return lo + ((F[i + 1] as number) - lo) * (t - i);
}

/** `rgb` holds 3 bytes per pixel (R, G, B); the result holds L*, a*, b* per pixel. */
export function srgbToLab(rgb: Uint8Array): Float32Array {
  const n = Math.floor(rgb.length / 3);
  const out = new Float32Array(3 * n);
  const s = SHARE;
  for (let i = 0; i < 3 * n; i += 3) {
    const r = rgb[i] as number;
    const g = (rgb[i + 1] as number) + 768;
    const b = (rgb[i + 2] as number) + 1536;
    const fx = fAt((s[r] as number) + (s[g] as number) + (s[b] as number));
    const fy = fAt((s[r + 256] as number) + (s[g + 256] as number) + (s[b + 256] as number));
    const fz = fAt((s[r + 512] as number) + (s[g + 512] as number) + (s[b + 512] as number));
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}
