/**
 * A PNG written in JS with zlib, for small images: 8-bit RGB, RGBA or indexed colour (a palette
 * of up to 256 RGBA entries), unfiltered rows, optional `tEXt` chunks. A sharp encode has a fixed
 * cost of ~1.3 ms (a pipeline on its thread pool); this costs ~0.05 ms at 64 x 64 and ~0.4 ms at
 * 256 x 256 RGBA at level 1. Deterministic: the same pixels and options give the same bytes.
 * Large images belong to a real encoder (their rows are copied here on the event loop).
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Pixels {
  /** `width * height * channels` bytes (one per pixel with a palette), row by row. */
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** RGB or RGBA pixels, or palette indices with the palette's RGBA entries (4 bytes each, at most 256). */
export type PngPixels = Pixels & ({ readonly channels: 3 | 4 } | { readonly palette: Uint8Array });

export interface PngWriteOptions {
  /** zlib level, 0-9. */
  readonly level: number;
  /** zlib strategy (`constants.Z_RLE`: ~2.5x faster than the default on noisy palette indices, as small). */
  readonly strategy?: number;
  /** `tEXt` chunks (keywords: 1-79 Latin-1 characters), written before the pixels. */
  readonly text?: Readonly<Record<string, string>>;
}

/** One PNG chunk: length, type, data and the CRC of type + data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** A `tEXt` chunk, ready to insert after IHDR. */
export function textChunk(keyword: string, text: string): Buffer {
  return pngChunk(
    'tEXt',
    Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]),
  );
}

/** PLTE (the colours) and tRNS (their alphas) of RGBA palette entries. */
function paletteChunks(rgba: Uint8Array): Buffer[] {
  const n = rgba.length / 4;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`a palette has 1-256 RGBA entries, got ${n}`);
  const rgb = Buffer.alloc(3 * n);
  const alpha = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    rgb.set(rgba.subarray(4 * i, 4 * i + 3), 3 * i);
    alpha[i] = rgba[4 * i + 3] as number;
  }
  return [pngChunk('PLTE', rgb), pngChunk('tRNS', alpha)];
}

/** Each row prefixed with filter type 0 (None), as the PNG format requires. */
function scanlines(img: Pixels, channels: number): Buffer {
  const pixels = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const stride = img.width * channels;
  if (pixels.length !== stride * img.height)
    throw new RangeError(`expected ${stride * img.height} bytes, got ${pixels.length}`);
  const out = Buffer.allocUnsafe((stride + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    out[y * (stride + 1)] = 0;
    pixels.copy(out, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return out;
}

/** The PNG file's bytes. */
export function writePng(img: PngPixels, options: PngWriteOptions): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = 8; // bit depth
  const head: Buffer[] = [SIGNATURE];
  let channels = 1;
  if ('palette' in img) {
    ihdr[9] = 3; // colour type: indexed; compression, filter and interlace stay 0
    head.push(pngChunk('IHDR', ihdr), ...paletteChunks(img.palette));
  } else {
    channels = img.channels;
    ihdr[9] = channels === 4 ? 6 : 2; // colour type RGBA or RGB
    head.push(pngChunk('IHDR', ihdr));
  }
  const texts = Object.entries(options.text ?? {}).map(([k, v]) => textChunk(k, v));
  const idat = deflateSync(scanlines(img, channels), {
    level: options.level,
    ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
  });
  return Buffer.concat([...head, ...texts, pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}
