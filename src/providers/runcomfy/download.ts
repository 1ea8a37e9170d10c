/**
 * Download an output to disk: streamed (never buffered whole) into a temp file beside the
 * destination, hashed while streaming, size-capped and length-checked, then renamed into place.
 * Truncated bodies and transient failures are retried; no partial file survives any failure.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Runtime } from '../../runtime.js';
import type { DownloadResult, RemoteState } from '../types.js';
import { inlineHash, workerHash } from './hash-offload.js';
import { openDownload, type OpenContext, type OpenedDownload } from './download-open.js';
import { DownloadFailedError, DownloadTooLargeError, NetworkError, ProviderError } from './errors.js';
import { errorFromReply } from './map-error.js';
import { isTimeoutCode, networkCodeOf } from './net-errors.js';
import { parseRetryAfter, type RetryPolicy } from './retry.js';
import type { RetryNotice } from '../types.js';
import { abortReason, bothListeners, withRetries, type AttemptOutcome } from './retry-loop.js';
import { redactUrl } from '../../util/redact.js';
import { uniqueSuffix } from '../../util/unique-suffix.js';

export interface DownloadContext extends OpenContext {
  readonly rt: Runtime;
  readonly retry: RetryPolicy;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((bytes: number, total: number | null) => void) | undefined;
  readonly onState?: ((state: RemoteState) => void) | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

/** A temp path in the destination's folder, so the final rename stays on one filesystem. */
export function partPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.${uniqueSuffix()}.part`);
}

/** Download `url` to `dest` atomically. Throws typed errors; never leaves a partial file. */
export async function downloadToFile(
  ctx: DownloadContext,
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const loop = {
    rt: ctx.rt,
    policy: ctx.retry,
    signal: options.signal,
    onRetry: bothListeners(ctx.onRetry, options.onRetry),
  };
  return withRetries('download', loop, () => attemptDownload(ctx, url, dest, options));
}

async function attemptDownload(
  ctx: DownloadContext,
  url: string,
  dest: string,
  options: DownloadOptions,
): Promise<AttemptOutcome<DownloadResult>> {
  const part = partPathFor(dest);
  try {
    const opened = await openDownload(ctx, url, options.signal);
    if (opened.status < 200 || opened.status >= 300) return await httpFailure(ctx, opened);
    options.onState?.({ phase: 'downloading', bytes: 0, total: opened.length ?? undefined });
    const small = opened.length !== null && opened.length <= SMALL_BODY_BYTES;
    const { sha256, bytes } = await (small
      ? bufferToFile(opened, part, options)
      : streamToFile(ctx, opened, part, options));
    if (opened.length !== null && bytes !== opened.length) {
      const error = new DownloadFailedError(
        `download truncated: got ${bytes} of ${opened.length} bytes from ${redactUrl(opened.url)}`,
        { secrets: ctx.secrets },
      );
      await rm(part, { force: true });
      return { ok: false, retryable: true, reason: 'truncated body', error };
    }
    await rename(part, dest);
    return { ok: true, value: { path: dest, sha256, bytes, mediaType: mediaTypeOf(opened.headers['content-type']) } };
  } catch (e) {
    await rm(part, { force: true });
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (e instanceof ProviderError) throw e;
    return networkFailure(ctx, url, e);
  }
}

/** Outputs at least this large are hashed on a worker thread (see hash-offload.ts). */
const OFFLOAD_HASH_BYTES = 16 * 1024 * 1024;
/**
 * A body with a declared size up to this is read whole, hashed and written in one go: for the
 * typical output (a few hundred KB to a few MB) the stream pipeline's per-chunk machinery cost
 * more CPU than the bytes. The declared size is under the download cap (checked on open).
 */
const SMALL_BODY_BYTES = 8 * 1024 * 1024;
/** Progress is reported at most once per this many bytes (and once at the end), not per chunk. */
const PROGRESS_STEP_BYTES = 256 * 1024;

/** Stream the body through a counting, hashing, cap-enforcing stage into `part`. */
async function streamToFile(
  ctx: DownloadContext,
  opened: OpenedDownload,
  part: string,
  options: DownloadOptions,
): Promise<{ sha256: string; bytes: number }> {
  const hash = opened.length !== null && opened.length >= OFFLOAD_HASH_BYTES ? workerHash() : inlineHash();
  let bytes = 0;
  let reported = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > ctx.maxBytes) {
        done(
          new DownloadTooLargeError(
            `download of ${redactUrl(opened.url)} exceeded the cap of ${ctx.maxBytes} bytes; aborted`,
            { secrets: ctx.secrets },
          ),
        );
        return;
      }
      if (bytes - reported >= PROGRESS_STEP_BYTES) {
        reported = bytes;
        options.onProgress?.(bytes, opened.length);
      }
      const wait = hash.update(chunk);
      if (wait) wait.then(() => done(null, chunk), done);
      else done(null, chunk);
    },
  });
  try {
    // flush: fsync before close, so the file is on disk when handed over (a paid output).
    const file = await inFolder(part, () => createOpenWriteStream(part));
    await pipeline(opened.body, meter, file, options.signal ? { signal: options.signal } : {});
    if (reported !== bytes) options.onProgress?.(bytes, opened.length);
    return { sha256: await hash.digest(), bytes };
  } finally {
    hash.dispose();
  }
}

async function bufferToFile(
  opened: OpenedDownload,
  part: string,
  options: DownloadOptions,
): Promise<{ sha256: string; bytes: number }> {
  const body = Buffer.from(await opened.body.arrayBuffer());
  // A body cut short ends in a socket error (retried), or is caught by the caller's length check.
  await inFolder(part, () =>
    writeFile(part, body, {
      flag: 'wx',
      mode: 0o644,
      flush: true,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  options.onProgress?.(body.length, opened.length);
  return { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
}

/** Create `path` with `create`; if its folder is missing, make it and try again (no mkdir per download). */
async function inFolder<T>(path: string, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    await mkdir(dirname(path), { recursive: true });
    return create();
  }
}

/** A write stream whose file is already open (so a missing folder fails here, where it can be created). */
async function createOpenWriteStream(part: string): Promise<WriteStream> {
  const handle = await open(part, 'wx', 0o644);
  return createWriteStream(part, { fd: handle, flush: true });
}

async function httpFailure(ctx: DownloadContext, opened: OpenedDownload): Promise<AttemptOutcome<DownloadResult>> {
  await opened.body.dump().catch(() => undefined);
  const status = opened.status;
  const retryable = status === 408 || status === 429 || status >= 500;
  const reason = `HTTP ${status}`;
  const retryAfterMs = parseRetryAfter(opened.headers['retry-after'], ctx.rt.now());
  const error = retryable
    ? errorFromReply(status, undefined, '', { call: `download of ${redactUrl(opened.url)}`, secrets: ctx.secrets })
    : new DownloadFailedError(`download of ${redactUrl(opened.url)}: HTTP ${status}`, { status, secrets: ctx.secrets });
  return { ok: false, retryable, reason, error, retryAfterMs };
}

function networkFailure(ctx: DownloadContext, url: string, e: unknown): AttemptOutcome<DownloadResult> {
  const code = networkCodeOf(e);
  if (code === undefined) throw e;
  const error = new NetworkError(`download of ${redactUrl(url)}: network error ${code}`, {
    cause: e,
    netCode: code,
    timeout: isTimeoutCode(code),
    secrets: ctx.secrets,
  });
  return { ok: false, retryable: true, reason: code, error };
}

function mediaTypeOf(v: string | string[] | undefined): string | null {
  const s = (Array.isArray(v) ? v[0] : v)?.split(';')[0]?.trim().toLowerCase();
  return s ? s : null;
}
