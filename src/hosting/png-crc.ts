/**
 * A PNG's chunk checksums, checked before the image is sent (image-check.ts asks): every chunk
 * carries a CRC-32 of its type and data, so bytes garbled in the middle of the pixel data — which
 * the structural probe cannot see, the signature, header and IEND being intact — are found
 * without decoding; and the image data is inflated as it is read (png-data.ts: CRCs match a
 * stream zlib cannot inflate as well). The file is read once, front to back, in large windows.
 * Chunks after IEND (a trailer kontext allows) are not the image's: not read.
 * JPEG, WebP, GIF, AVIF and HEIC carry no such checksum of their data: no equivalent check.
 */
import { crc32 } from 'node:zlib';
import type { ByteReader } from '../util/image-probe.js';
import { PngDataCheck, pngDataBytes } from './png-data.js';

/** Bytes read at once: large enough that a 5 MB PNG of 8 kB IDAT chunks costs a handful of reads. */
const WINDOW_BYTES = 1 << 20;
/** Chunks walked at most (a file of empty chunks cannot keep the check busy). */
const MAX_CHUNKS = 1_000_000;

/** Sequential reads over a reader, served from one window refilled as the walk moves on. */
function windowed(reader: ByteReader): (position: number, length: number) => Promise<Uint8Array> {
  let start = 0;
  let window: Uint8Array = new Uint8Array(0);
  return async (position, length) => {
    if (position < start || position + length > start + window.length) {
      start = position;
      window = await reader.read(position, Math.max(length, WINDOW_BYTES));
    }
    return window.subarray(position - start, position - start + length);
  };
}

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) >>> 0) + ((b[at + 1] ?? 0) << 16) + ((b[at + 2] ?? 0) << 8) + (b[at + 3] ?? 0);
}

/**
 * The first chunk, up to and including IEND, whose stored CRC-32 does not match its type and
 * data (`PNG: the IDAT chunk at byte 4711 fails its CRC-32 check`), or one whose length runs
 * past the end of the file before IEND (bytes replaced in the middle); else, at IEND, image data
 * that does not decompress into the size IHDR declares (png-data.ts); `null` when all is well.
 */
export async function pngCrcProblem(reader: ByteReader): Promise<string | null> {
  /** The IDAT data, inflated as it is read (png-data.ts): from IHDR on, unless it names no valid format. */
  const pixels: { check: PngDataCheck | null } = { check: null };
  try {
    return await walk(reader, pixels);
  } finally {
    pixels.check?.close(); // a walk that ended early (a bad CRC, a read that threw) leaves no stream open
  }
}

async function walk(reader: ByteReader, pixels: { check: PngDataCheck | null }): Promise<string | null> {
  const read = windowed(reader);
  let at = 8;
  for (let chunks = 0; at + 12 <= reader.size; chunks++) {
    // A file of a million empty chunks cannot keep the check busy, nor pass it unchecked.
    if (chunks >= MAX_CHUNKS) return `PNG: more than ${MAX_CHUNKS} chunks before IEND`;
    const head = await read(at, 8);
    const length = u32be(head, 0);
    const end = at + 8 + length;
    // Its length may be garbage: the chunk is not named by a type that may be too.
    if (end + 4 > reader.size) return `PNG: the chunk at byte ${at} runs past the end of the file`;
    const type = String.fromCharCode(...head.subarray(4, 8));
    const named = /^[A-Za-z]{4}$/.test(type) ? `the ${type} chunk` : 'a chunk';
    let crc = crc32(head.subarray(4, 8));
    for (let pos = at + 8; pos < end; pos += WINDOW_BYTES) {
      const data = await read(pos, Math.min(WINDOW_BYTES, end - pos));
      crc = crc32(data, crc);
      if (type === 'IDAT') await pixels.check?.feed(data);
    }
    if (crc >>> 0 !== u32be(await read(end, 4), 0)) {
      return `PNG: ${named} at byte ${at} fails its CRC-32 check`;
    }
    if (type === 'IHDR' && chunks === 0) {
      const bytes = pngDataBytes(await read(at + 8, Math.min(length, 13)));
      pixels.check = bytes === null ? null : new PngDataCheck(bytes);
    }
    if (type === 'IEND') return (await pixels.check?.problem()) ?? null;
    at = end + 4;
  }
  return `PNG: the chunks end at byte ${at} without an IEND chunk`;
}
