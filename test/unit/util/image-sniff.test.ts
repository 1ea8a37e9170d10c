import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { extensionOfKind, mediaTypeOfKind, SNIFF_BYTES, sniffImage } from '../../../src/util/image-sniff.js';

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
