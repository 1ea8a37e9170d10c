/** The JS PNG writer: every colour type it writes decodes to the same pixels in a real decoder. */
import { constants } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { writePng } from '../../../src/util/png-write.js';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24);

describe('writePng', () => {
  it.each([3, 4] as const)('writes %i-channel pixels that decode unchanged', async (channels) => {
    const data = bytes(17 * 9 * channels);
    const png = writePng({ data, width: 17, height: 9, channels }, { level: 1 });
    const out = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([out.info.width, out.info.height, out.info.channels]).toEqual([17, 9, channels]);
    expect(out.data.equals(Buffer.from(data))).toBe(true);
  });

  it('writes palette indices with the palette’s colours and alphas', async () => {
    const palette = Uint8Array.from([255, 0, 0, 0, 0, 255, 0, 128, 10, 20, 30, 255]);
    const data = Uint8Array.from({ length: 6 * 4 }, (_, i) => i % 3);
    const png = writePng({ data, width: 6, height: 4, palette }, { level: 1, strategy: constants.Z_RLE });
    const out = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(out.info.channels).toBe(4);
    for (let i = 0; i < data.length; i++) {
      const k = data[i] as number;
      expect([...out.data.subarray(4 * i, 4 * i + 4)]).toEqual([...palette.subarray(4 * k, 4 * k + 4)]);
    }
  });

  it('refuses pixels of the wrong length and a palette of more than 256 entries', () => {
    expect(() => writePng({ data: bytes(10), width: 2, height: 2, channels: 3 }, { level: 1 })).toThrow(RangeError);
    expect(() =>
      writePng({ data: bytes(4), width: 2, height: 2, palette: new Uint8Array(257 * 4) }, { level: 1 }),
    ).toThrow(/palette/);
  });
});
