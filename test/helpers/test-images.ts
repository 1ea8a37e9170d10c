/**
 * Small images built in JS for hosting tests: a whole 1x1 PNG that carries any payload (so each
 * test image has its own bytes), and the lies hosting must refuse — a PNG cut short, and a PNG
 * whose header declares a decompression bomb.
 */
import { deflateSync } from 'node:zlib';
import { pngChunk } from '../../src/util/png-write.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = 8; // bit depth
  data[9] = 2; // RGB
  return pngChunk('IHDR', data);
}

/** A whole PNG of `width` x `height` grey RGB pixels (unfiltered rows), with `payload` in a tEXt chunk. */
export function pngHolding(payload: string | Uint8Array = '', width = 1, height = 1): Buffer {
  const row = Buffer.alloc(1 + width * 3, 0x80);
  row[0] = 0;
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const text = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.from(payload)]);
  return Buffer.concat([
    SIGNATURE,
    ihdr(width, height),
    pngChunk('tEXt', text),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A small JPEG as the structural checks see one (SOI, a comment carrying `payload`, a baseline
 * frame header declaring `width` x `height`, EOI): whole to hosting, not decodable pixels.
 */
export function jpegHolding(payload: string | Uint8Array = '', width = 1, height = 1): Buffer {
  const comment = Buffer.from(payload);
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), comment]);
  com.writeUInt16BE(comment.length + 2, 2);
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), com, sof, Buffer.from([0xff, 0xd9])]);
}

/** A whole PNG cut short: its last 20 bytes (the IEND chunk and a bit of pixel data) are missing. */
export function truncatedPng(): Buffer {
  const png = pngHolding('cut short', 8, 8);
  return png.subarray(0, png.length - 20);
}

/**
 * A PNG garbled in the middle: signature, header and IEND intact, one byte of the pixel data
 * (IDAT) flipped, so only the chunk's CRC-32 tells. Returns the IDAT chunk's offset too.
 */
export function damagedPng(): { readonly bytes: Buffer; readonly idatAt: number } {
  const bytes = pngHolding('garbled', 16, 16);
  const idatAt = bytes.indexOf('IDAT', 8, 'latin1') - 4;
  const at = idatAt + 8 + Math.floor(bytes.readUInt32BE(idatAt) / 2);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  return { bytes, idatAt };
}

/**
 * A small, well-formed PNG whose header declares `side` x `side` pixels (40000: 1.6 gigapixels):
 * its 1 MiB of zeros compresses to about 1 kB. A decoder would allocate for the header's size.
 */
export function bombPng(side = 40_000): Buffer {
  return Buffer.concat([
    SIGNATURE,
    ihdr(side, side),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024 * 1024))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
