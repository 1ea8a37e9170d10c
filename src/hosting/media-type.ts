/**
 * File extension <-> media type for the images Kontext reads and writes. The media type is
 * sent as `Content-Type` on upload and in data URIs; the extension names the S3 object.
 */
import { extname } from 'node:path';
import { ownValue } from '../util/own.js';

const BY_EXT: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  heic: 'image/heic',
  heif: 'image/heif',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
};

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

/** Unknown bytes: providers will sniff them, and S3 stores them faithfully. */
const FALLBACK_MEDIA_TYPE = 'application/octet-stream';

/**
 * The media type for a path (`a/b.JPG`), an extension with or without the dot (`.png`, `webp`).
 * Unknown extensions give `application/octet-stream`.
 */
export function mediaTypeFor(pathOrExt: string): string {
  const ext = extname(pathOrExt) || pathOrExt;
  const key = ext.replace(/^\./, '').toLowerCase();
  return ownValue(BY_EXT, key) ?? FALLBACK_MEDIA_TYPE;
}

/** The canonical extension (no dot) for a media type; `bin` when unknown. Parameters are ignored. */
export function extForMediaType(mediaType: string): string {
  const base = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return ownValue(EXT_BY_TYPE, base) ?? 'bin';
}
