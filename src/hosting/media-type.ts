/**
 * Media type -> file extension for the images kontext hosts. The media type (the bytes', from
 * guard.ts, never the file name's) is sent as `Content-Type` on upload and in data URIs; the
 * extension names the S3 object and is a command's `KONTEXT_EXT`.
 */
import { ownValue } from '../util/own.js';

const EXT_BY_TYPE: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'avif',
  'image/heic': 'heic',
  'image/heif': 'heif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
};

/** The canonical extension (no dot) for a media type; `bin` when unknown. Parameters are ignored. */
export function extForMediaType(mediaType: string): string {
  const base = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return ownValue(EXT_BY_TYPE, base) ?? 'bin';
}
