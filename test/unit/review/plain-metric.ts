/**
 * The change metric's plain definitions (src/review/metric.ts), which the review's one pass
 * (`changeMap`) no longer calls: ΔE*ab per pixel (CIE76) and the share of pixels over a
 * threshold. The tests hold the fast pass to them.
 */
import { CHANGE_THRESHOLD, type LabImage } from '../../../src/review/metric.js';

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

/**
 * Percentage (0–100, two decimals) of pixels whose ΔE is above `threshold`, among those `seen`
 * (all without it). A transparent pixel of the image before holds no colour anyone saw: what
 * the pass put there is not counted either way. `null` when no pixel is seen (nothing to compare).
 */
export function changedPercent(
  delta: Float32Array,
  threshold = CHANGE_THRESHOLD,
  seen: Uint8Array | null = null,
): number | null {
  let over = 0;
  let counted = 0;
  for (let i = 0; i < delta.length; i++) {
    if (seen !== null && seen[i] === 0) continue;
    counted++;
    if ((delta[i] as number) > threshold) over++;
  }
  return counted === 0 ? null : Math.round((over / counted) * 10_000) / 100;
}
