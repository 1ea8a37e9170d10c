/**
 * Encode 8-bit RGB/RGBA pixels as a PNG with `tEXt` chunks (so a file says it is emulated even
 * when the visible badge is cropped away; sharp has no option for plain text chunks).
 *
 * Small images are written in JS with zlib (src/util/png-write.ts): a sharp encode costs a
 * fixed ~1.5 ms, most of an emulated edit at 64×64, against ~0.1 ms. Large ones go to sharp, whose work runs off the
 * event loop, where building the scanlines here would hold it for several ms (fresh pages for
 * megabytes of copies). Both write unfiltered rows at zlib level 6, deterministically.
 */
import sharp from 'sharp';
import { textChunk, writePng } from '../util/png-write.js';
import type { RawImage } from './paint.js';

/** Signature + IHDR chunk (4 length + 4 type + 13 data + 4 crc). */
const AFTER_IHDR = 8 + 25;
const LEVEL = 6;
const JS_ENCODE_MAX_PIXELS = 256 * 256;

export async function encodePng(img: RawImage, text: Readonly<Record<string, string>>): Promise<Buffer> {
  if (img.width * img.height <= JS_ENCODE_MAX_PIXELS) return writePng(img, { level: LEVEL, text });
  const texts = Object.entries(text).map(([k, v]) => textChunk(k, v));
  // A Buffer view of the pixels (sharp takes raw bytes).
  const pixels = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  const { width, height, channels } = img;
  const png = await sharp(pixels, { raw: { width, height, channels } })
    .png({ compressionLevel: LEVEL, adaptiveFiltering: false, palette: false })
    .toBuffer();
  return Buffer.concat([png.subarray(0, AFTER_IHDR), ...texts, png.subarray(AFTER_IHDR)]);
}
