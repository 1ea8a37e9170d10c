/**
 * The PNG check's inflate of the image data (src/hosting/png-data.ts, through png-crc.ts's walk):
 * every PNG sharp writes (colour types, bit depths 1–16, interlaced, odd sizes) passes; data whose
 * CRC-32s are right but that libpng cannot decode is refused, each time sharp refuses it too
 * (walk-p 6: such a file was paid for, then failed at the API).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pngCrcProblem } from '../../../src/hosting/png-crc.js';
import { PngDataCheck, pngDataBytes } from '../../../src/hosting/png-data.js';
import { bufferReader } from '../../../src/util/image-probe.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

const PHOTO = readFileSync(join(ASSETS, 'portrait-astronaut.jpg'));

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([head, body, crc]);
}

/** The chunks of `png` as [type, data]. */
function chunksOf(png: Buffer): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    out.push([png.toString('latin1', at + 4, at + 8), png.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  return out;
}

/** `png` with its IDAT chunks replaced by one holding `data` (a right CRC-32). */
function withData(png: Buffer, data: Uint8Array): Buffer {
  const rest = chunksOf(png).filter(([type]) => type !== 'IDAT');
  const at = rest.findIndex(([type]) => type === 'IEND');
  const chunks = [...rest.slice(0, at), ['IDAT', data] as const, ...rest.slice(at)];
  return Buffer.concat([png.subarray(0, 8), ...chunks.map(([type, d]) => chunk(type, d))]);
}

const idat = (png: Buffer): Buffer => Buffer.concat(chunksOf(png).flatMap(([t, d]) => (t === 'IDAT' ? [d] : [])));
const verdict = (png: Buffer) => pngCrcProblem(bufferReader(png));
const decodes = (png: Buffer) =>
  sharp(png)
    .raw()
    .toBuffer()
    .then(
      () => true,
      () => false,
    );

describe('the image data of a PNG', () => {
  it('every kind sharp writes passes, and its data is the size IHDR implies', async () => {
    const base = () => sharp(PHOTO).resize(301, 199);
    const kinds: Record<string, Promise<Buffer>> = {
      rgb: base().png().toBuffer(),
      rgba: base().ensureAlpha().png().toBuffer(),
      grey: base().greyscale().toColourspace('b-w').png().toBuffer(),
      'palette, 1 bit': base().png({ palette: true, colours: 2 }).toBuffer(),
      'palette, 4 bits': base().png({ palette: true, colours: 16 }).toBuffer(),
      'rgb, 16 bits': base().toColourspace('rgb16').png().toBuffer(),
      interlaced: base().png({ progressive: true }).toBuffer(),
      'interlaced palette, 2 bits': base().png({ progressive: true, palette: true, colours: 4 }).toBuffer(),
      'interlaced 3x2': sharp(PHOTO).resize(3, 2).png({ progressive: true }).toBuffer(),
    };
    for (const [kind, made] of Object.entries(kinds)) {
      const png = await made;
      expect({ kind, problem: await verdict(png) }).toEqual({ kind, problem: null });
      const header = chunksOf(png)[0]?.[1] ?? Buffer.alloc(0);
      expect({ kind, bytes: pngDataBytes(header) }).toEqual({ kind, bytes: inflateSync(idat(png)).length });
    }
  });

  it('data libpng cannot decode under right CRC-32s is refused, as sharp refuses it', async () => {
    const good = await sharp(PHOTO).resize(64, 48).png().toBuffer();
    const data = idat(good);
    const pixels = inflateSync(data);
    const flipped = Buffer.from(data);
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] ?? 0) ^ 0x55;
    const adler = Buffer.from(data);
    adler[adler.length - 1] = (adler[adler.length - 1] ?? 0) ^ 0xff;
    const cases: [string, Buffer, RegExp][] = [
      [
        'not zlib',
        withData(good, Buffer.from('not pixels')),
        /cannot be decompressed \(zlib: incorrect header check\)/,
      ],
      ['a byte flipped', withData(good, flipped), /cannot be decompressed \(zlib: /],
      ['a wrong Adler-32', withData(good, adler), /cannot be decompressed \(zlib: incorrect data check\)/],
      ['cut before its end', withData(good, data.subarray(0, -4)), /cannot be decompressed \(zlib: unexpected end/],
      [
        'a row short',
        withData(good, deflateSync(pixels.subarray(0, -(1 + 64 * 3)))),
        new RegExp(`holds ${pixels.length - 193} of the ${pixels.length} bytes its size needs`),
      ],
      ['no IDAT', withData(good, Buffer.alloc(0)), /cannot be decompressed|holds 0 of/],
    ];
    for (const [what, png, says] of cases) {
      expect({ what, problem: await verdict(png) }).toEqual({ what, problem: expect.stringMatching(says) });
      expect({ what, decodes: await decodes(png) }).toEqual({ what, decodes: false });
    }
    // Data after the image's bytes: decoders only warn, so it is sent.
    const extra = withData(good, deflateSync(Buffer.concat([pixels, Buffer.alloc(1000)])));
    expect(await verdict(extra)).toBeNull();
    expect(await decodes(extra)).toBe(true);
  });

  it('a million chunks before IEND: refused, not passed unchecked (review-v)', async () => {
    const good = await sharp(PHOTO).resize(8, 8).png().toBuffer();
    const [ihdr, ...rest] = chunksOf(good);
    const empty = chunk('tEXt', Buffer.alloc(0));
    const many = Buffer.concat([
      good.subarray(0, 8),
      chunk('IHDR', ihdr?.[1] ?? Buffer.alloc(0)),
      ...Array.from({ length: 1_000_000 }, () => empty),
      ...rest.map(([type, data]) => chunk(type, data)),
    ]);
    expect(await verdict(many)).toBe('PNG: more than 1000000 chunks before IEND');
  }, 30_000);

  it('a zlib bomb behind a small header is not inflated to its end', async () => {
    // 1 x 1 RGB needs 4 bytes; 32 MiB of zeros deflate to about 32 kB.
    const bomb = deflateSync(Buffer.alloc(32 << 20), { level: 9 });
    const check = new PngDataCheck(4);
    for (let at = 0; at < bomb.length; at += 8192) await check.feed(bomb.subarray(at, at + 8192));
    expect(await check.problem()).toBeNull();
    // Stopped past twice the image's bytes plus 1 MiB: within one of zlib's 256 kB output pieces.
    expect(check.inflated).toBeGreaterThan(2 * 4 + (1 << 20));
    expect(check.inflated).toBeLessThanOrEqual(2 * 4 + (1 << 20) + (1 << 18));
  });
});
