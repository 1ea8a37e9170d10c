/**
 * The change map: ΔE per pixel as a heat map PNG with transparency, meant to be laid over the
 * output (scaled up to it). Unchanged pixels are fully transparent; a difference under the
 * threshold shows as a faint yellow; above it the colour runs from orange to red and turns
 * opaque as ΔE grows (red at ΔE ≥ threshold + {@link FULL_RED_ABOVE}).
 */
import type { Box } from './images.js';
import { loadSharp } from './images.js';

/** ΔE above the threshold at which the map is fully red. */
const FULL_RED_ABOVE = 40;

/** RGBA pixels of the heat map for `delta` (one ΔE per pixel). */
function heatPixels(delta: Float32Array, threshold: number): Uint8Array {
  const px = new Uint8Array(delta.length * 4);
  for (let i = 0; i < delta.length; i++) {
    const d = delta[i] as number;
    const o = 4 * i;
    px[o] = 255;
    if (d <= threshold) {
      px[o + 1] = 220;
      px[o + 3] = Math.round((48 * d) / threshold);
    } else {
      const t = Math.min(1, (d - threshold) / FULL_RED_ABOVE);
      px[o + 1] = Math.round(160 * (1 - t));
      px[o + 3] = 160 + Math.round(95 * t);
    }
  }
  return px;
}

/** The heat map as PNG bytes. */
export async function encodeChangeMap(delta: Float32Array, box: Box, threshold: number): Promise<Buffer> {
  const sharp = await loadSharp();
  const raw = Buffer.from(heatPixels(delta, threshold).buffer);
  return sharp(raw, { raw: { width: box.width, height: box.height, channels: 4 } })
    .png({ compressionLevel: 1, adaptiveFiltering: false })
    .toBuffer();
}
