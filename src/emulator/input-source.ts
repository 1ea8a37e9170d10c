/**
 * Where a job's input comes from. A chained pass usually submits this emulator's own output
 * URL; those bytes are read straight from the job table instead of over HTTP from itself
 * (same bytes, same 404 failure for an unknown or unfinished request, no extra socket,
 * request or log entry). Every other URL — another emulator's `/files/`, a presigned S3
 * URL, a data URI — is fetched as the hosted service would.
 */
import type { EmulatorContext } from './context.js';
import { fetchInputImage, ImageFetchError } from './fetch-input.js';
import { describeImageUrl } from './request-log.js';
import { matchRoute } from './router.js';
import { outputIn } from './protocols/bfl-fal-wire.js';
import { formatOf } from './runcomfy-format.js';

/** The request id when `url` is an output URL of the emulator at `origin`. */
function ownOutputId(origin: string, url: string): string | undefined {
  // Cheap reject first: a data URI can be megabytes long.
  if (origin === '' || !url.startsWith(`${origin}/files/`)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.origin !== origin) return undefined;
  const route = matchRoute('GET', parsed.pathname);
  return route.kind === 'output' ? route.id : undefined;
}

export async function readInputImage(ctx: EmulatorContext, url: string, signal: AbortSignal): Promise<Buffer> {
  const id = ownOutputId(ctx.origin, url);
  if (id === undefined) return fetchInputImage(url, signal);
  const job = ctx.jobs.get(id);
  // What the HTTP route answers for the same URL (files.ts): the format the submit asked for, so
  // a chain reads the JPEG or WebP a client downloads (review-y 3), and both ways fail alike.
  const output = job ? await outputIn(job, formatOf(job)) : undefined;
  if (!output) throw new ImageFetchError(`could not fetch image_url ${describeImageUrl(url)}: HTTP 404`);
  return output;
}
