/**
 * Is this a complete image, and how large is it? A cheap structural check for bytes about to
 * become an output: the kind from the magic number (`sniffImage`), the dimensions from the
 * header, and the end of the file where the format has one (PNG's IEND chunk, JPEG's EOI
 * marker, GIF's trailer, the RIFF size of WebP, the box sizes of AVIF/HEIC). It reads a few
 * small ranges, never the whole file, so a 1 GiB output costs a handful of `pread`s.
 *
 * It does not decode pixels: a file whose compressed data is damaged in the middle passes.
 * That is what the sha256 is for once stored; here the aim is refusing what is plainly not
 * the image we were promised (an HTML error page, a gzip stream, a body cut short).
 */
import { extensionOfKind, mediaTypeOfKind, SNIFF_BYTES, sniffImage, type ImageKind } from './image-sniff.js';
import { openRegular } from './read-bounded.js';

/** Random access to the bytes being checked (a buffer or an open file). */
export interface ByteReader {
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer only at the end). */
  read(position: number, length: number): Promise<Uint8Array>;
}

export interface ImageInfo {
  readonly kind: ImageKind;
  readonly mediaType: string;
  /** File extension without the dot (`jpg` for JPEG). */
  readonly ext: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Why bytes are not an acceptable image: `not-image` (wrong kind of bytes) or `damaged` (an
 * image, but incomplete or inconsistent).
 */
type ProbeFailure = { readonly problem: 'not-image' | 'damaged'; readonly detail: string };

export type ProbeResult = ({ readonly ok: true } & ImageInfo) | ({ readonly ok: false } & ProbeFailure);

/** Largest width or height we accept: far above any model output, well below integer trouble. */
const MAX_DIMENSION = 65_535;

const HEAD_BYTES = 64 * 1024;
/** AVIF/HEIC are read whole for sharp; outputs in these formats are a few MB. */
const MAX_BMFF_BYTES = 256 * 1024 * 1024;
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** A reader that must be closed (an open file). */
export type ClosableReader = ByteReader & { readonly close?: (() => Promise<void>) | undefined };

/** Positional reads of a file (a few small ranges: the head, the tail, JPEG segments). */
export async function fileReader(path: string): Promise<ClosableReader> {
  // A regular file only, opened without blocking: one swapped for a FIFO after a caller's stat
  // would stall the process at the open, a device (`/dev/zero`) read for ever (review-u).
  const opened = await openRegular(path);
  if (opened === null) throw Object.assign(new Error(`${path}: not a regular file`), { code: 'EINVAL' });
  const { handle, size } = opened;
  return {
    size,
    read: async (position, length) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      return buf.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

export function bufferReader(buf: Uint8Array): ByteReader {
  return {
    size: buf.length,
    read: (position, length) => Promise.resolve(buf.subarray(position, Math.min(buf.length, position + length))),
  };
}

/** Check the bytes; never throws for bad content (only for a failing reader). */
export async function probeImage(reader: ByteReader): Promise<ProbeResult> {
  const head = await reader.read(0, Math.min(reader.size, HEAD_BYTES));
  const kind = sniffImage(head.subarray(0, Math.max(SNIFF_BYTES, 64)));
  if (kind === null) return { ok: false, problem: 'not-image', detail: describeNonImage(head) };
  const dims = await PROBES[kind](reader, head);
  if ('detail' in dims) return { ok: false, problem: 'damaged', detail: `${kind.toUpperCase()}: ${dims.detail}` };
  const { width, height } = dims;
  if (width < 1 || height < 1 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    return { ok: false, problem: 'damaged', detail: `${kind.toUpperCase()}: implausible size ${width}x${height}` };
  }
  return { ok: true, kind, mediaType: mediaTypeOfKind(kind), ext: extensionOfKind(kind), width, height };
}

type Dims = { readonly width: number; readonly height: number } | { readonly detail: string };
type Probe = (reader: ByteReader, head: Uint8Array) => Promise<Dims>;

const PROBES: Readonly<Record<ImageKind, Probe>> = {
  png: probePng,
  jpeg: probeJpeg,
  webp: probeWebp,
  gif: probeGif,
  avif: probeBmff,
  heic: probeBmff,
};

function u32be(b: Uint8Array, at: number): number {
  return (((b[at] ?? 0) << 24) >>> 0) + ((b[at + 1] ?? 0) << 16) + ((b[at + 2] ?? 0) << 8) + (b[at + 3] ?? 0);
}

function u16be(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function u16le(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

function u24le(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16);
}

function u32le(b: Uint8Array, at: number): number {
  return u24le(b, at) + (b[at + 3] ?? 0) * 0x1000000;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

/** A short, printable description of what the bytes look like instead, for the error message. */
function describeNonImage(head: Uint8Array): string {
  if (head.length === 0) return 'the body is empty';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'the body is a gzip stream';
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 200)).trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.includes('<body')) {
    return 'the body is an HTML page';
  }
  if (text.startsWith('{') || text.startsWith('[')) return 'the body looks like JSON';
  return 'the body does not start with the signature of a supported image format';
}

async function probePng(reader: ByteReader, head: Uint8Array): Promise<Dims> {
  if (head.length < 33 || u32be(head, 8) !== 13 || ascii(head, 12, 16) !== 'IHDR') {
    return { detail: 'no IHDR header' };
  }
  const tail = await reader.read(reader.size - PNG_IEND.length, PNG_IEND.length);
  if (reader.size < 45 || !PNG_IEND.every((b, i) => tail[i] === b)) {
    return { detail: 'does not end with an IEND chunk (cut short, or followed by other bytes)' };
  }
  return { width: u32be(head, 16), height: u32be(head, 20) };
}

/** Walk the marker segments to the first SOF; then check the file ends with EOI. */
async function probeJpeg(reader: ByteReader, head: Uint8Array): Promise<Dims> {
  const tail = await reader.read(reader.size - 2, 2);
  if (reader.size < 4 || tail[0] !== 0xff || tail[1] !== 0xd9) {
    return { detail: 'does not end with an EOI marker (cut short, or followed by other bytes)' };
  }
  let at = 2;
  for (let segments = 0; segments < 1_000 && at + 9 < reader.size; segments++) {
    const seg = at + 10 <= head.length ? head.subarray(at, at + 10) : await reader.read(at, 10);
    if (seg[0] !== 0xff) return { detail: `no marker at byte ${at}` };
    const marker = seg[1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return { detail: 'no frame header (SOF) before the image data' };
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) return { width: u16be(seg, 7), height: u16be(seg, 5) };
    const length = u16be(seg, 2);
    if (length < 2) return { detail: `bad segment length at byte ${at}` };
    at += 2 + length;
  }
  return { detail: 'no frame header (SOF) found' };
}

async function probeWebp(reader: ByteReader, head: Uint8Array): Promise<Dims> {
  if (u32le(head, 4) + 8 !== reader.size) {
    return { detail: `RIFF size says ${u32le(head, 4) + 8} bytes, the body has ${reader.size}` };
  }
  const chunk = ascii(head, 12, 16);
  if (chunk === 'VP8 ' && head[23] === 0x9d && head[24] === 0x01 && head[25] === 0x2a) {
    return { width: u16le(head, 26) & 0x3fff, height: u16le(head, 28) & 0x3fff };
  }
  if (chunk === 'VP8L' && head[20] === 0x2f) {
    const bits = u32le(head, 21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: u24le(head, 24) + 1, height: u24le(head, 27) + 1 };
  return { detail: `unknown first chunk ${JSON.stringify(chunk)}` };
}

async function probeGif(reader: ByteReader, head: Uint8Array): Promise<Dims> {
  const tail = await reader.read(reader.size - 1, 1);
  if (reader.size < 14 || tail[0] !== 0x3b) return { detail: 'does not end with the GIF trailer' };
  return { width: u16le(head, 6), height: u16le(head, 8) };
}

/**
 * AVIF/HEIC: the top-level boxes must tile the file exactly (a cut or padded body fails);
 * the size comes from sharp (loaded only here: it is heavy, and these formats are rare).
 */
async function probeBmff(reader: ByteReader): Promise<Dims> {
  let at = 0;
  for (let boxes = 0; at < reader.size; boxes++) {
    if (boxes > 10_000) return { detail: 'too many top-level boxes' };
    const box = await reader.read(at, 16);
    if (box.length < 8) return { detail: `box header cut short at byte ${at}` };
    const size32 = u32be(box, 0);
    let size = size32;
    if (size32 === 1) size = u32be(box, 8) * 2 ** 32 + u32be(box, 12);
    if (size32 === 0) size = reader.size - at;
    if (size < 8) return { detail: `bad box size at byte ${at}` };
    at += size;
  }
  if (at !== reader.size) return { detail: `the last box ends at byte ${at}, the body has ${reader.size}` };
  if (reader.size > MAX_BMFF_BYTES) return { detail: `over ${MAX_BMFF_BYTES} bytes, too large to check` };
  return bmffSize(await reader.read(0, reader.size));
}

async function bmffSize(bytes: Uint8Array): Promise<Dims> {
  try {
    const { default: sharp } = await import('sharp');
    const meta = await sharp(bytes).metadata();
    if (meta.width === undefined || meta.height === undefined) return { detail: 'no image size' };
    return { width: meta.width, height: meta.height };
  } catch (e) {
    return { detail: `cannot be read (${e instanceof Error ? e.message : String(e)})` };
  }
}
