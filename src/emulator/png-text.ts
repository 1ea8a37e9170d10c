/**
 * Add PNG `tEXt` chunks (right after IHDR), so a file says it is emulated even when the visible
 * badge is cropped away. Done by hand: sharp has no option for plain PNG text chunks.
 */
import { crc32 } from 'node:zlib';

const SIGNATURE_LENGTH = 8;
/** Signature + IHDR chunk (4 length + 4 type + 13 data + 4 crc). */
const AFTER_IHDR = SIGNATURE_LENGTH + 25;

function textChunk(keyword: string, text: string): Buffer {
  const data = Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]);
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])) >>> 0);
  return Buffer.concat([length, type, data, crc]);
}

/** A copy of `png` with one `tEXt` chunk per entry. Keywords: 1-79 Latin-1 characters. */
export function withPngText(png: Buffer, entries: Readonly<Record<string, string>>): Buffer {
  if (png.subarray(12, 16).toString('latin1') !== 'IHDR') throw new Error('not a PNG with a leading IHDR chunk');
  const chunks = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([png.subarray(0, AFTER_IHDR), ...chunks, png.subarray(AFTER_IHDR)]);
}
