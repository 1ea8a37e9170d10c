import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  extensionOfKind,
  mediaTypeOfKind,
  otherImageKind,
  SNIFF_BYTES,
  sniffImage,
} from '../../../src/util/image-sniff.js';

const pixel = () => sharp({ create: { width: 2, height: 2, channels: 3, background: '#808080' } });

describe('sniffImage', () => {
  it('recognises images that sharp writes, by their bytes', async () => {
    expect(sniffImage(await pixel().png().toBuffer())).toBe('png');
    expect(sniffImage(await pixel().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImage(await pixel().webp().toBuffer())).toBe('webp');
    expect(sniffImage(await pixel().gif().toBuffer())).toBe('gif');
    expect(sniffImage(await pixel().avif().toBuffer())).toBe('avif');
  });

  it('needs only the first SNIFF_BYTES bytes', async () => {
    const formats = ['png', 'jpeg', 'webp', 'gif', 'avif'] as const;
    for (const format of formats) {
      const bytes = await pixel().toFormat(format).toBuffer();
      expect(sniffImage(bytes.subarray(0, SNIFF_BYTES))).toBe(format);
    }
  });

  it('recognises HEIC by its ftyp brand', () => {
    const head = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic')]);
    expect(sniffImage(head)).toBe('heic');
  });

  it('refuses text, secrets, HTML, empty and truncated heads', () => {
    expect(sniffImage(Buffer.from('RUNCOMFY_TOKEN=abc\n'))).toBeNull();
    expect(sniffImage(Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----'))).toBeNull();
    expect(sniffImage(Buffer.from('<!doctype html><html>'))).toBeNull();
    expect(sniffImage(Buffer.alloc(0))).toBeNull();
    expect(sniffImage(Buffer.from([0x89, 0x50, 0x4e]))).toBeNull();
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeNull();
    expect(sniffImage(Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0isom'))).toBeNull();
  });

  it('names media types and extensions', () => {
    expect(mediaTypeOfKind('jpeg')).toBe('image/jpeg');
    expect(extensionOfKind('jpeg')).toBe('jpg');
  });
});

describe('otherImageKind (walk-af 10: a refusal names the kind kontext does not send)', () => {
  it('names TIFF (as sharp writes it), SVG, BMP, ICO, JPEG XL, JPEG 2000, Photoshop and QOI', async () => {
    expect(otherImageKind(await pixel().tiff().toBuffer())).toBe('TIFF');
    const bmp = Buffer.alloc(54);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(40, 14);
    expect(otherImageKind(bmp)).toBe('BMP');
    expect(otherImageKind(Buffer.from([0, 0, 1, 0, 1, 0, 16, 16]))).toBe('ICO');
    expect(otherImageKind(Buffer.from([0xff, 0x0a, 0xfa]))).toBe('JPEG XL');
    expect(otherImageKind(Buffer.from('0000000c6a5020200d0a870a', 'hex'))).toBe('JPEG 2000');
    expect(otherImageKind(Buffer.from('8BPS\0\x01'))).toBe('Photoshop');
    expect(otherImageKind(Buffer.from('qoif\0\0\0\x02'))).toBe('QOI');
    for (const svg of [
      '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
      '\uFEFF  <?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n' +
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"' +
        ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<SVG\n  viewBox="0 0 1 1">',
    ])
      expect(otherImageKind(Buffer.from(svg)), svg).toBe('SVG');
  });

  it('names nothing else: text, HTML, XML, a secret, empty', () => {
    for (const text of [
      '',
      'RUNCOMFY_TOKEN=abc\n',
      '<!doctype html><html><svg></svg>',
      '<?xml version="1.0"?><a/>',
      'BM',
    ])
      expect(otherImageKind(Buffer.from(text)), text).toBeNull();
    expect(otherImageKind(Buffer.from([0, 0, 1, 0, 0, 0]))).toBeNull();
  });

  it('answers at once for markup made to backtrack', () => {
    const started = performance.now();
    expect(otherImageKind(Buffer.from(`${'<!---->'.repeat(70)}<sv`))).toBeNull();
    expect(otherImageKind(Buffer.from(`<!--${'-'.repeat(500)}`))).toBeNull();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
