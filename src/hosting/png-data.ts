/**
 * A PNG's image data decompressed as the checksum walk reads it (png-crc.ts feeds each IDAT
 * chunk's data): a file whose chunk CRC-32s all match can still hold data zlib cannot inflate, or
 * too little of it for the size IHDR declares (made so, or written by a broken encoder). The API
 * would be paid to fail on it (walk-p 6). The output is counted and dropped, never kept, so
 * memory stays flat; the inflate stops at twice the bytes the image needs (plus 1 MiB), so a zlib
 * bomb behind a small header costs about what the image it declares would. Refused as libpng
 * (sharp's decoder) refuses them: a zlib error (a corrupt stream, a wrong Adler-32, a stream cut
 * before its end) and data ending before the declared size; accepted: data after the image's
 * bytes (decoders only warn). 8-bit RGB costs about 1 ms per 100 kB of pixels.
 */
import { once } from 'node:events';
import { createInflate, inflateSync, type Inflate } from 'node:zlib';

/** IDAT data handed to zlib at once. */
const BATCH_BYTES = 1 << 18;

/**
 * An image whose data is this small, and all of it held by then ({@link BATCH_BYTES}), is inflated at
 * once on this thread: a stream (its 256 kB buffer, a hand-over to zlib's thread per write) cost
 * more than the inflate for the small PNGs a cache holds thousands of (the remote cache's checks).
 */
const SYNC_MAX_BYTES = 4 << 20;

/** Channels per pixel by IHDR colour type: grey, RGB, palette, grey + alpha, RGBA. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7's seven passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/**
 * The bytes the decompressed data of an image with this IHDR data (13 bytes) holds: each row's
 * filter byte and pixels, pass by pass when interlaced; null when the header names no valid
 * colour type and bit depth (the decoder refuses it; nothing to check against).
 */
export function pngDataBytes(ihdr: Uint8Array): number | null {
  if (ihdr.length < 13) return null;
  const view = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const depth = ihdr[8] ?? 0;
  const channels = CHANNELS[ihdr[9] ?? -1];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(depth)) return null;
  const bits = channels * depth;
  const size = (w: number, h: number): number => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (ihdr[12] !== 1) return size(width, height);
  let total = 0;
  for (const [xs, ys, dx, dy] of ADAM7) total += size(Math.ceil((width - xs) / dx), Math.ceil((height - ys) / dy));
  return total;
}

/** Fed the IDAT data in order, then asked whether it decompressed into the bytes the image needs. */
export class PngDataCheck {
  /** Made on the first write that does not fit one synchronous inflate. */
  #inflate: Inflate | null = null;
  #ended: Promise<void> = Promise.resolve();
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #out = 0;
  #enough = false;
  #closed = false;
  #error: (Error & { code?: unknown }) | null = null;
  /**
   * Past the image's bytes, a decoder only warns of data too many; a zlib bomb behind a small
   * header would inflate for minutes: stop there, judged whole.
   */
  readonly #cap: number;

  constructor(readonly expected: number) {
    this.#cap = 2 * expected + (1 << 20);
  }

  #stream(): Inflate {
    if (this.#inflate !== null) return this.#inflate;
    const inflate = createInflate({ chunkSize: 1 << 18 });
    this.#inflate = inflate;
    inflate.on('data', (chunk: Buffer) => {
      this.#out += chunk.length;
      if (this.#out > this.#cap && !this.#enough) {
        this.#enough = true;
        inflate.destroy();
      }
    });
    this.#ended = new Promise<void>((resolve) => {
      inflate.once('end', resolve);
      inflate.once('close', resolve);
      inflate.once('error', (e: Error & { code?: unknown }) => {
        this.#error ??= e;
        resolve();
      });
    });
    return inflate;
  }

  /**
   * Inflate the next piece of IDAT data, gathered into writes of {@link BATCH_BYTES} (an encoder's
   * 8 kB chunks, one write each, cost more in the hand-over to zlib's thread than in zlib); waits
   * while zlib's input queue is full.
   */
  async feed(data: Uint8Array): Promise<void> {
    if (this.#enough || this.#error !== null || this.#closed || data.length === 0) return;
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#pendingBytes >= BATCH_BYTES) await this.#write();
  }

  async #write(): Promise<void> {
    const batch = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    if (batch === undefined || this.#enough || this.#error !== null || this.#closed) return;
    const inflate = this.#stream();
    if (!inflate.write(batch)) await Promise.race([once(inflate, 'drain'), this.#ended]);
  }

  /** Stop inflating, whatever is left: a walk that ended early frees zlib's stream (idempotent). */
  close(): void {
    this.#closed = true;
    this.#inflate?.destroy();
  }

  /** The bytes inflated so far (dropped as they come): how far the check went. */
  get inflated(): number {
    return this.#out;
  }

  /** After the last IDAT: what is wrong with the data, or null when it holds the image. */
  async problem(): Promise<string | null> {
    if (this.#inflate === null && this.expected <= SYNC_MAX_BYTES) this.#inflateAtOnce();
    else {
      await this.#write();
      const inflate = this.#stream();
      if (!this.#enough && this.#error === null) inflate.end();
      await this.#ended;
    }
    if (this.#enough) return null;
    // A corrupt stream, a wrong Adler-32, a stream cut before its end: libpng refuses each.
    if (this.#error !== null) return `PNG: the image data cannot be decompressed (zlib: ${this.#error.message})`;
    if (this.#out >= this.expected) return null;
    return `PNG: the image data holds ${this.#out} of the ${this.expected} bytes its size needs`;
  }

  /** All the data, held, inflated on this thread: as the stream judges it, output capped alike. */
  #inflateAtOnce(): void {
    const data = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      this.#out = inflateSync(data, { maxOutputLength: this.#cap }).length;
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        this.#out = this.#cap + 1;
        this.#enough = true;
      } else this.#error = e as Error;
    }
  }
}
