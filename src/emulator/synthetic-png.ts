/**
 * Synthetic PNG downloads of any size (`/files/synthetic/<bytes>.png`) for the download
 * benchmark and tests: a valid 1×1 grey PNG padded with private ancillary `syNt` chunks
 * (which decoders skip) to exactly the size asked for, so the client's output check passes
 * while the bytes stay cheap to serve. Served in 1 MiB slices: past the first one, every full
 * slice is the same precomputed chunk (no copy per request), then a small tail with IEND.
 */
import { deflateSync } from 'node:zlib';
import { pngChunk } from '../util/png-write.js';

const SLICE = 1024 * 1024;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const FILL_TYPE = 'syNt';

/** A `syNt` chunk of exactly `total` bytes (at least 12), its data a fixed byte pattern. */
function fill(total: number, pattern: Buffer): Buffer {
  const data = Buffer.alloc(total - 12);
  for (let o = 0; o < data.length; o += pattern.length)
    pattern.copy(data, o, 0, Math.min(pattern.length, data.length - o));
  return pngChunk(FILL_TYPE, data);
}

/** Fill chunks totalling exactly `bytes` (0, or at least 12). */
function fills(bytes: number, pattern: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let left = bytes;
  while (left > 0) {
    // Never leave a remainder under 12 bytes, which no chunk could hold.
    const take = left <= SLICE ? left : Math.min(SLICE, left - 12);
    out.push(fill(take, pattern));
    left -= take;
  }
  return out;
}

const IHDR = (() => {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(1, 0);
  d.writeUInt32BE(1, 4);
  d[8] = 8; // bit depth; colour type 0 (grey), no interlace
  return pngChunk('IHDR', d);
})();
const IDAT = pngChunk('IDAT', deflateSync(Buffer.from([0, 0x80])));
const IEND = pngChunk('IEND', Buffer.alloc(0));
const HEAD = Buffer.concat([SIGNATURE, IHDR, IDAT]);

/** The smallest synthetic PNG: the 1×1 image with no padding. */
const SYNTHETIC_PNG_MIN_BYTES = HEAD.length + IEND.length;

/** Sizes a synthetic PNG can have: the bare image, or padded by a whole chunk (12 bytes or more). */
export function isSyntheticPngSize(size: number): boolean {
  return size === SYNTHETIC_PNG_MIN_BYTES || size >= SYNTHETIC_PNG_MIN_BYTES + 12;
}

/**
 * A slicer for a synthetic PNG of `size` bytes: `slice(offset, length)` for the sequential,
 * SLICE-aligned reads of the emulator's pump. `pattern` fills the padding.
 */
export function syntheticPng(size: number, pattern: Buffer): (offset: number, length: number) => Buffer {
  if (size < SYNTHETIC_PNG_MIN_BYTES)
    throw new RangeError(`a synthetic PNG has at least ${SYNTHETIC_PNG_MIN_BYTES} bytes`);
  const padding = size - SYNTHETIC_PNG_MIN_BYTES;
  if (size <= 4 * SLICE || padding < 12) {
    const whole = Buffer.concat([HEAD, ...fills(padding, pattern), IEND]);
    return (o, n) => whole.subarray(o, o + n);
  }
  // First slice: the head padded to exactly SLICE; then full SLICE chunks; then the tail.
  const first = Buffer.concat([HEAD, fill(SLICE - HEAD.length, pattern)]);
  const full = fill(SLICE, pattern);
  let middle = Math.floor((size - SLICE - IEND.length) / SLICE);
  let tailFill = size - SLICE - middle * SLICE - IEND.length;
  if (tailFill > 0 && tailFill < 12) {
    middle -= 1;
    tailFill += SLICE;
  }
  const tail = Buffer.concat([...fills(tailFill, pattern), IEND]);
  const tailStart = SLICE + middle * SLICE;
  return (o, n) => {
    if (o === 0 && n === SLICE) return first;
    if (o >= SLICE && o < tailStart && o % SLICE === 0 && n === SLICE) return full;
    return assemble(o, n, (at) => {
      if (at < SLICE) return { buf: first, start: 0 };
      if (at < tailStart) return { buf: full, start: at - ((at - SLICE) % SLICE) };
      return { buf: tail, start: tailStart };
    });
  };
}

/** Copy `n` bytes at `o` out of the piece that holds each position (the unaligned, rare case). */
function assemble(o: number, n: number, pieceAt: (at: number) => { buf: Buffer; start: number }): Buffer {
  const out = Buffer.alloc(n);
  let done = 0;
  while (done < n) {
    const { buf, start } = pieceAt(o + done);
    const from = o + done - start;
    const copied = buf.copy(out, done, from, Math.min(buf.length, from + n - done));
    if (copied === 0) break;
    done += copied;
  }
  return out.subarray(0, done);
}
