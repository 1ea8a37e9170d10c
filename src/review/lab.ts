/**
 * 8-bit sRGB → CIELAB (D65) in JS, through lookup tables: the review works at 256 px at most,
 * where this costs well under a millisecond and spares libvips a float pipeline (and the copy of
 * four times the bytes). The formulas are the standard ones (IEC 61966-2-1 for sRGB, CIE 1976 for
 * Lab); libvips computes the same to within ~0.01.
 */

/** sRGB byte → linear light, 0-1. */
const LINEAR = Float32Array.from({ length: 256 }, (_, i) => {
  const v = i / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
});

/** Steps of the table of Lab's f(t) over t in [0, 1] (linearly interpolated between them). */
const STEPS = 4096;
const EPSILON = (6 / 29) ** 3;
function f(t: number): number {
  return t > EPSILON ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29;
}
/** One spare entry past t = 1 so interpolation at exactly 1 needs no branch. */
const F = Float64Array.from({ length: STEPS + 2 }, (_, i) => f(i / STEPS));

/** f(t) for t in [0, 1] (clamped), linearly interpolated from {@link F}. */
function fOf(t: number): number {
  const x = (t <= 0 ? 0 : t >= 1 ? 1 : t) * STEPS;
  const i = x | 0;
  const lo = F[i] as number;
  return lo + ((F[i + 1] as number) - lo) * (x - i);
}

// sRGB (linear) → XYZ, rows divided by the D65 white point (0.95047, 1, 1.08883): X/Xn, Y/Yn, Z/Zn.
const XN = 0.95047;
const ZN = 1.08883;
const M = [
  [0.4124564 / XN, 0.3575761 / XN, 0.1804375 / XN],
  [0.2126729, 0.7151522, 0.072175],
  [0.0193339 / ZN, 0.119192 / ZN, 0.9503041 / ZN],
] as const;

/** `rgb` holds 3 bytes per pixel (R, G, B); the result holds L*, a*, b* per pixel. */
export function srgbToLab(rgb: Uint8Array): Float32Array {
  const n = Math.floor(rgb.length / 3);
  const out = new Float32Array(3 * n);
  const [[m00, m01, m02], [m10, m11, m12], [m20, m21, m22]] = M;
  for (let i = 0; i < 3 * n; i += 3) {
    const r = LINEAR[rgb[i] as number] as number;
    const g = LINEAR[rgb[i + 1] as number] as number;
    const b = LINEAR[rgb[i + 2] as number] as number;
    const fx = fOf(m00 * r + m01 * g + m02 * b);
    const fy = fOf(m10 * r + m11 * g + m12 * b);
    const fz = fOf(m20 * r + m21 * g + m22 * b);
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}
