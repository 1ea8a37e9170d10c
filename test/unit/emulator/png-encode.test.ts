/** The hand-written PNG encoder: pixels round-trip through a real decoder, text chunks are where readers find them. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plainPngSize } from '../../../src/emulator/image-size.js';
import type { RawImage } from '../../../src/emulator/paint.js';
import { encodePng } from '../../../src/emulator/png-encode.js';

function noise(width: number, height: number, channels: 3 | 4): RawImage {
  const data = new Uint8ClampedArray(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
  return { data, width, height, channels };
}

describe('encodePng', () => {
  // 40×30 is written in JS, 300×300 by sharp: both ways must give the same pixels back.
  it.each([
    [40, 30, 3],
    [40, 30, 4],
    [300, 300, 3],
    [300, 300, 4],
  ] as const)('%i×%i with %i channels decodes to the same pixels', async (width, height, channels) => {
    const img = noise(width, height, channels);
    const png = await encodePng(img, { Software: 'kontext emulator', Comment: 'EMULATED' });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, channels]);
    expect(data.equals(Buffer.from(img.data.buffer))).toBe(true);
    expect(plainPngSize(png)).toEqual({ width, height });
  });

  it('writes each entry as a tEXt chunk that a PNG reader reports', async () => {
    for (const size of [20, 300]) {
      const png = await encodePng(noise(size, size, 3), { Software: 'kontext emulator', Comment: 'EMULATED output' });
      expect(png.includes(Buffer.from('tEXtSoftware\0kontext emulator', 'latin1'))).toBe(true);
      const meta = await sharp(png).metadata();
      expect(meta.comments).toEqual(expect.arrayContaining([{ keyword: 'Comment', text: 'EMULATED output' }]));
    }
  });
});
