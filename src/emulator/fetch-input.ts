/**
 * Fetch a submit's `image_url` the way the hosted service does: a `data:` URI is decoded,
 * an http(s) URL is fetched (no Authorization: the service does not have the user's token).
 * Any failure becomes an {@link ImageFetchError} that ends the request `failed`.
 */
import { describeImageUrl } from './request-log.js';

/** Inputs larger than this are refused (the real service has limits too). */
const MAX_INPUT_BYTES = 50 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;
/**
 * Marks an emulator's input fetches, so when they reach an emulator's `/files/` they skip faults and are flagged in its
 * log.
 */
export const INPUT_FETCH_USER_AGENT = 'kontext-emulator/1 (input fetch)';

/** The input image could not be fetched or is not an image; `code` is `image_fetch_failed`. */
export class ImageFetchError extends Error {
  override readonly name = 'ImageFetchError';
  readonly code = 'image_fetch_failed';
}

export async function fetchInputImage(url: string, signal: AbortSignal): Promise<Buffer> {
  const what = describeImageUrl(url);
  if (url.startsWith('data:')) return decodeDataUri(url, what);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ImageFetchError(`could not fetch image_url ${what}: not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ImageFetchError(`could not fetch image_url ${what}: unsupported scheme ${parsed.protocol}`);
  }
  try {
    const res = await fetch(parsed, {
      headers: { 'user-agent': INPUT_FETCH_USER_AGENT },
      signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
    });
    if (!res.ok) {
      await res.body?.cancel();
      throw new ImageFetchError(`could not fetch image_url ${what}: HTTP ${res.status}`);
    }
    const size = Number(res.headers.get('content-length') ?? '0');
    if (size > MAX_INPUT_BYTES) {
      await res.body?.cancel();
      throw new ImageFetchError(`could not fetch image_url ${what}: ${size} bytes is over the limit`);
    }
    return Buffer.from(await res.arrayBuffer());
  } catch (e) {
    if (e instanceof ImageFetchError) throw e;
    const reason = e instanceof Error ? e.message : String(e);
    throw new ImageFetchError(`could not fetch image_url ${what}: ${reason}`);
  }
}

function decodeDataUri(url: string, what: string): Buffer {
  const comma = url.indexOf(',');
  if (comma < 0) throw new ImageFetchError(`could not fetch image_url ${what}: malformed data URI`);
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  let bytes: Buffer;
  try {
    bytes = meta.endsWith(';base64')
      ? Buffer.from(payload, 'base64')
      : Buffer.from(decodeURIComponent(payload), 'utf8');
  } catch {
    throw new ImageFetchError(`could not fetch image_url ${what}: malformed data URI`);
  }
  if (bytes.length === 0) throw new ImageFetchError(`could not fetch image_url ${what}: empty data URI`);
  return bytes;
}
