/**
 * The emulated edit's contract: deterministic, different per prompt and seed, sized by
 * outputSize, EXIF orientation honoured, visibly recoloured, framed, badged and text-marked,
 * and ImageFetchError for bytes that are not an image. 64×64 (colour matrix in JS) and
 * 400×300 (in sharp) take different paths; both are checked.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { badgePixels } from '../../../src/emulator/bitmap-font.js';
import { ImageFetchError } from '../../../src/emulator/fetch-input.js';
import { plainPngSize } from '../../../src/emulator/image-size.js';
import { colourMatrix } from '../../../src/emulator/paint.js';
import { editDigest, outputSize, renderEdit, type EditInput } from '../../../src/emulator/transform.js';

const BLUE = { r: 0x33, g: 0x66, b: 0xcc };
const flat = (width: number, height: number, colour = BLUE): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();

async function pixels(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The most frequent colour: the recoloured background (band, frame and badge cover less). */
function modeColour(p: { data: Buffer; channels: number }): number[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < p.data.length; i += p.channels) {
    const key = [...p.data.subarray(i, i + 3)].join(',');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  return top.split(',').map(Number);
}

describe('outputSize', () => {
  it.each([
    [32, 32, undefined, [64, 64]],
    [80, 60, undefined, [80, 60]],
    [80, 60, '16:9', [80, 45]],
    [1500, 500, '9:16', [576, 1024]],
    [3000, 2000, undefined, [1024, 683]],
    [10, 40, '1:1', [64, 64]],
  ] as const)('%i×%i at %s → %j', (w, h, ar, expected) => {
    const { width, height } = outputSize(w, h, ar);
    expect([width, height]).toEqual(expected);
  });
});

describe('renderEdit', () => {
  it.each([
    [32, 32],
    [400, 300],
  ])('is deterministic for %i×%i and changes with the prompt or the seed', async (w, h) => {
    const image = await flat(w, h);
    const a = await renderEdit({ image, prompt: 'Add a red hat', seed: 7 });
    expect(a.equals(await renderEdit({ image, prompt: 'Add a red hat', seed: 7 }))).toBe(true);
    expect(a.equals(await renderEdit({ image, prompt: 'Add a blue hat', seed: 7 }))).toBe(false);
    expect(a.equals(await renderEdit({ image, prompt: 'Add a red hat', seed: 8 }))).toBe(false);
  });

  it.each([
    [32, 32, 'seed 1', 1],
    [400, 300, 'seed 2', 2],
  ])('recolours %i×%i by the digest colour matrix (%s)', async (w, h, prompt, seed) => {
    const input: EditInput = { image: await flat(w, h), prompt, seed };
    const m = colourMatrix(editDigest(input));
    const expected = m.map((row) =>
      Math.min(255, Math.max(0, Math.round(row[0] * BLUE.r + row[1] * BLUE.g + row[2] * BLUE.b))),
    );
    const got = modeColour(await pixels(await renderEdit(input)));
    for (const [i, v] of got.entries()) expect(Math.abs(v - (expected[i] ?? -99))).toBeLessThanOrEqual(2);
    expect(got).not.toEqual([BLUE.r, BLUE.g, BLUE.b]);
  });

  it('frames the image in the digest colour and draws the EMULATED badge', async () => {
    const input: EditInput = { image: await flat(32, 32, { r: 20, g: 30, b: 90 }), prompt: 'p', seed: 1 };
    const d = editDigest(input);
    const p = await pixels(await renderEdit(input));
    for (const [x, y] of [
      [0, 0],
      [63, 0],
      [0, 63],
      [63, 63],
      [1, 32],
    ] as const) {
      const at = (y * p.width + x) * p.channels;
      expect([...p.data.subarray(at, at + 3)]).toEqual([d[4], d[5], d[6]]);
    }
    let white = 0;
    for (let i = 0; i < p.data.length; i += p.channels)
      if (p.data[i] === 255 && p.data[i + 1] === 255 && p.data[i + 2] === 255) white++;
    expect(white).toBe(badgePixels('EMULATED').length); // scale 1 at 64×64: one screen pixel per font pixel
  });

  it('marks the PNG as emulated in tEXt chunks', async () => {
    const input: EditInput = { image: await flat(32, 32), prompt: 'p', seed: 1 };
    const meta = await sharp(await renderEdit(input)).metadata();
    expect(meta.comments).toEqual([
      { keyword: 'Software', text: 'kontext emulator' },
      {
        keyword: 'Comment',
        text: `EMULATED output (not a real model result); digest ${editDigest(input).toString('hex').slice(0, 16)}`,
      },
    ]);
  });

  it('honours EXIF orientation in JPEG and PNG inputs', async () => {
    const base = sharp({ create: { width: 120, height: 60, channels: 3, background: BLUE } });
    for (const image of [
      await base.clone().jpeg().withMetadata({ orientation: 6 }).toBuffer(),
      await base.clone().png().withMetadata({ orientation: 6 }).toBuffer(),
    ]) {
      const meta = await sharp(await renderEdit({ image, prompt: 'p', seed: 1 })).metadata();
      expect([meta.width, meta.height, meta.orientation]).toEqual([60, 120, undefined]);
    }
  });

  it('keeps transparency and accepts grey and 16-bit inputs', async () => {
    const rgba = await sharp({ create: { width: 80, height: 60, channels: 4, background: { ...BLUE, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const p = await pixels(await renderEdit({ image: rgba, prompt: 'p', seed: 1 }));
    expect(p.channels).toBe(4);
    expect(p.data[(30 * p.width + 20) * 4 + 3]).toBe(128);
    const grey = await sharp(await flat(50, 40))
      .toColourspace('b-w')
      .png()
      .toBuffer();
    const deep = await sharp(await flat(50, 40))
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    for (const image of [grey, deep])
      expect(await sharp(await renderEdit({ image, prompt: 'p', seed: 1 })).metadata()).toMatchObject({
        format: 'png',
        width: 64,
        channels: 3,
        depth: 'uchar',
      });
  });

  it('throws ImageFetchError for bytes that are not an image, or a PNG cut short', async () => {
    const png = await flat(32, 32);
    for (const image of [Buffer.from('not an image'), png.subarray(0, 60)]) {
      await expect(renderEdit({ image, prompt: 'p', seed: 1 })).rejects.toThrow(ImageFetchError);
    }
  });
});

describe('plainPngSize', () => {
  it('reads the IHDR of a plain PNG and defers anything that may be rotated or is not a PNG', async () => {
    expect(plainPngSize(await flat(30, 20))).toEqual({ width: 30, height: 20 });
    const base = sharp({ create: { width: 30, height: 20, channels: 3, background: BLUE } });
    expect(plainPngSize(await base.clone().png().withMetadata({ orientation: 6 }).toBuffer())).toBeUndefined();
    expect(plainPngSize(await base.clone().jpeg().toBuffer())).toBeUndefined();
    expect(plainPngSize(Buffer.from('not an image'))).toBeUndefined();
  });
});
