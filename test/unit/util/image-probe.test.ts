import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { bufferReader, probeImage } from '../../../src/util/image-probe.js';
import { syntheticPng } from '../../../src/emulator/synthetic-png.js';

const make = (format: 'png' | 'jpeg' | 'webp' | 'gif') =>
  sharp({ create: { width: 33, height: 21, channels: 3, background: '#123456' } })
    .toFormat(format)
    .toBuffer();

describe('probeImage', () => {
  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('reads kind and size of a complete %s', async (format) => {
    const got = await probeImage(bufferReader(await make(format)));
    expect(got).toMatchObject({ ok: true, kind: format, width: 33, height: 21 });
  });

  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('a %s cut short or padded is damaged', async (format) => {
    const bytes = await make(format);
    expect(await probeImage(bufferReader(bytes.subarray(0, bytes.length - 5)))).toMatchObject({ problem: 'damaged' });
    expect(await probeImage(bufferReader(Buffer.concat([bytes, Buffer.from('junk')])))).toMatchObject({
      problem: 'damaged',
    });
  });

  it('HTML, gzip and empty bodies are not images, and say what they look like', async () => {
    const html = await probeImage(bufferReader(Buffer.from('<!DOCTYPE html><html><body>hi</body></html>')));
    expect(html).toMatchObject({ ok: false, problem: 'not-image', detail: 'the body is an HTML page' });
    const gz = await probeImage(bufferReader(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])));
    expect(gz).toMatchObject({ problem: 'not-image', detail: 'the body is a gzip stream' });
    expect(await probeImage(bufferReader(Buffer.alloc(0)))).toMatchObject({ problem: 'not-image' });
  });
});

describe('syntheticPng', () => {
  it.each([67, 79, 100, 3 * 1024 * 1024 + 5, 5 * 1024 * 1024 + 3])(
    'is a valid PNG of exactly %i bytes',
    async (size) => {
      const slice = syntheticPng(size, Buffer.alloc(1024 * 1024, 7));
      const parts: Buffer[] = [];
      for (let o = 0; o < size; o += 1024 * 1024) parts.push(slice(o, Math.min(1024 * 1024, size - o)));
      const png = Buffer.concat(parts);
      expect(png.length).toBe(size);
      expect(await probeImage(bufferReader(png))).toMatchObject({ ok: true, kind: 'png', width: 1, height: 1 });
      expect((await sharp(png).metadata()).width).toBe(1);
    },
  );
});
