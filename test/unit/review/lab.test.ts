/** sRGB → Lab in JS (src/review/lab.ts) against libvips' own conversion, over a grid of colours. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { srgbToLab } from '../../../src/review/lab.js';

/** Every (r, g, b) on a grid of `steps` levels per channel, ends included. */
function grid(steps: number): Uint8Array {
  const levels = Array.from({ length: steps }, (_, i) => Math.round((255 * i) / (steps - 1)));
  const out: number[] = [];
  for (const r of levels) for (const g of levels) for (const b of levels) out.push(r, g, b);
  return Uint8Array.from(out);
}

describe('srgbToLab', () => {
  it('gives the known Lab values (D65) of white, black, red, green and blue', () => {
    const lab = srgbToLab(Uint8Array.from([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]));
    const expected = [
      [100, 0, 0],
      [0, 0, 0],
      [53.24, 80.09, 67.2],
      [87.73, -86.18, 83.18],
      [32.3, 79.19, -107.86],
    ];
    expected.forEach((want, i) => {
      for (let c = 0; c < 3; c++) expect(lab[3 * i + c]).toBeCloseTo(want[c] as number, 1);
    });
  });

  it('matches libvips (sharp to Lab, floats) within 0.05 ΔE on 19³ colours', async () => {
    const rgb = grid(19);
    const n = rgb.length / 3;
    const vips = await sharp(Buffer.from(rgb), { raw: { width: n, height: 1, channels: 3 } })
      .toColourspace('lab')
      .raw({ depth: 'float' })
      .toBuffer();
    const ref = new Float32Array(vips.buffer, vips.byteOffset, vips.byteLength / 4);
    const ours = srgbToLab(rgb);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.hypot(
        (ours[3 * i] as number) - (ref[3 * i] as number),
        (ours[3 * i + 1] as number) - (ref[3 * i + 1] as number),
        (ours[3 * i + 2] as number) - (ref[3 * i + 2] as number),
      );
      worst = Math.max(worst, d);
    }
    expect(ours).toHaveLength(ref.length);
    expect(worst).toBeLessThan(0.05);
  });
});
