/**
 * The change map: ΔE per pixel as a heat map PNG with transparency, meant to be laid over the
 * output (scaled up to it). Unchanged pixels are fully transparent; a difference under the
 * threshold shows as a faint yellow; above it the colour runs from orange to red and turns
 * opaque as ΔE grows (red at ΔE ≥ threshold + {@link FULL_RED_ABOVE}).
 *
 * Written as an indexed-colour PNG (a 256-entry palette with alpha: one byte per pixel) in JS
 * with zlib: about a quarter of the bytes to compress of RGBA, and no sharp pipeline.
 */
import { constants } from 'node:zlib';
import { writePng } from '../util/png-write.js';
import type { Box } from './images.js';

/** ΔE above the threshold at which the map is fully red. */
const FULL_RED_ABOVE = 40;
/** Palette entries 0..UNDER: a difference under the threshold, alpha 0..UNDER (faint yellow). */
const UNDER = 48;
/** Palette entries UNDER+1..255: over the threshold, from orange (t = 0) to opaque red (t = 1). */
const OVER_STEPS = 255 - (UNDER + 1);

/** RGBA of each palette entry. */
const PALETTE: Uint8Array = (() => {
  const p = new Uint8Array(256 * 4);
  for (let k = 0; k <= UNDER; k++) p.set([255, 220, 0, k], 4 * k);
  for (let j = 0; j <= OVER_STEPS; j++) {
    const t = j / OVER_STEPS;
    p.set([255, Math.round(160 * (1 - t)), 0, 160 + Math.round(95 * t)], 4 * (UNDER + 1 + j));
  }
  return p;
})();

/**
 * The palette index of each pixel of `delta` (one ΔE per pixel): under the threshold
 * `round(d / threshold × UNDER)`, over it `UNDER + 1 + round(min(OVER_STEPS, (d − threshold) × OVER_STEPS /
 * FULL_RED_ABOVE))`. Rounded as `(x + 0.5) | 0`, a third of Math.round's cost here: the same for every
 * x ≥ 0.5, and below it for all but the one double just under 0.5, which no ΔE gives (every 32-bit ΔE
 * checked at the threshold of 10; test/unit/review/change-map.test.ts tries those near each step).
 */
export function heatIndices(delta: Float32Array, threshold: number): Uint8Array {
  const px = new Uint8Array(delta.length);
  const under = UNDER / threshold;
  const over = OVER_STEPS / FULL_RED_ABOVE;
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] as number;
    if (d <= threshold) px[i] = (d * under + 0.5) | 0;
    else {
      const t = (d - threshold) * over;
      px[i] = t >= OVER_STEPS ? 255 : UNDER + 1 + ((t + 0.5) | 0);
    }
  }
  return px;
}

/**
 * The heat map as PNG bytes. zlib level 1 with run-length matching only: ~0.6 ms at 256 x 256
 * against ~1.6 ms for plain level 1, for about the same size (the indices are noisy, so longer
 * matches are rare).
 */
export function encodeChangeMap(delta: Float32Array, box: Box, threshold: number): Buffer {
  const data = heatIndices(delta, threshold);
  return writePng({ data, ...box, palette: PALETTE }, { level: 1, strategy: constants.Z_RLE });
}
