/**
 * The request log behind `GET /__emulator/requests`: what tests and benchmarks count (submits,
 * polls, downloads). Image data and presigned query strings never go in.
 */
import { redactUrl } from '../util/redact.js';

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  /** HTTP status sent; 0 when the connection was reset without a reply. */
  status: number;
  /** When the request arrived (ISO). */
  time: string;
  /** Time to the reply, in ms. */
  ms: number;
  /** The parsed submit body, `image_url` replaced by a short description. */
  body?: Record<string, unknown>;
  /**
   * The injected fault, when one fired: e.g. `http 429`, `reset`, `random http 503`, `truncated-download`,
   * `http 503 after accept`.
   */
  fault?: string;
  /** A submit the emulator accepted (a job made, paid for), whatever the reply said: what a test counts as paid. */
  accepted?: true;
  /**
   * True for an emulator's input fetch of one of our outputs (another emulator's chained pass; our own read memory):
   * not a client call, never faulted.
   */
  internal?: true;
}

/** A short, secret-free stand-in for an image URL: the data URI's media type and size, or the URL without its query. */
export function describeImageUrl(url: string): string {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const head = comma >= 0 ? url.slice(0, comma + 1) : url.slice(0, 40);
    return `${head}… (${url.length} chars)`;
  }
  return redactUrl(url);
}

/** A copy of a submit body that is safe and small enough to log. */
export function loggableBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  if (typeof copy.image_url === 'string') copy.image_url = describeImageUrl(copy.image_url);
  return copy;
}
