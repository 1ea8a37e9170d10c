/**
 * Download an output to disk: streamed (never buffered whole) into a temp file beside the
 * destination, hashed while streaming, size-capped and length-checked, then renamed into place.
 * Truncated bodies and transient failures are retried; no partial file survives any failure.
 *
 * Every byte that becomes an output is checked before the rename (see verifyOutput): no
 * Content-Encoding but identity (undici's `request` does not decode, so gzip bytes would be
 * stored as they came: refused), exactly the declared length, and a complete image of a
 * supported kind whose type comes from its bytes, never from the Content-Type. A body that is
 * not an image at all (an HTML page with a 200) is refused for good (exit 65); one cut short or
 * damaged is retried (exit 69 when retries run out). A body *longer* than its Content-Length
 * cannot be seen through undici (it keeps the declared bytes and drops the connection); the
 * bytes kept must then be a complete image, so such a reply is refused unless its declared part
 * is one. Deadlines and the throughput rule: download-limits.ts.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { retryFdLimit } from '../../util/fd-limit.js';
import { mkdirp } from '../../util/mkdir-p.js';
import type { Runtime } from '../../runtime.js';
import type { DownloadResult, RemoteState } from '../types.js';
import { inlineHash, workerHash } from './hash-offload.js';
import { openDownload, type OpenContext, type OpenedDownload } from './download-open.js';
import {
  DownloadFailedError,
  DownloadRefusedError,
  DownloadTimeoutError,
  DownloadTooLargeError,
  NetworkError,
  ProviderError,
} from './errors.js';
import { awakeTimeout, DEFAULT_DOWNLOAD_LIMITS, watchThroughput, type DownloadLimits } from './download-limits.js';
import {
  bufferReader,
  fileReader,
  probeImage,
  type ByteReader,
  type ClosableReader,
  type ImageInfo,
} from '../../util/image-probe.js';
import { errorFromReply } from './map-error.js';
import { networkCodeOf } from './net-errors.js';
import { codedFailure } from './net-failure.js';
import { parseRetryAfter, type RetryPolicy } from './retry.js';
import type { RetryNotice } from '../types.js';
import { abortReason, bothListeners, withRetries, type AttemptOutcome } from './retry-loop.js';
import { redactUrl } from '../../util/redact.js';
import { tempNameFor } from '../../util/unique-suffix.js';

export interface DownloadContext extends OpenContext {
  readonly rt: Runtime;
  readonly retry: RetryPolicy;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
  /** Deadline and throughput rule; defaults: {@link DEFAULT_DOWNLOAD_LIMITS}. */
  readonly limits?: DownloadLimits | undefined;
}

export interface DownloadOptions {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((bytes: number, total: number | null) => void) | undefined;
  readonly onState?: ((state: RemoteState) => void) | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
  /**
   * `image` (default): the body must be a complete image of a supported kind (see verifyOutput).
   * `bytes`: any bytes (benchmarks and transport tests); length and size checks still apply.
   */
  readonly expect?: 'image' | 'bytes' | undefined;
}

/** A temp path in the destination's folder, so the final rename stays on one filesystem. */
function partPathFor(dest: string): string {
  return join(dirname(dest), tempNameFor(basename(dest), '.part'));
}

/** Download `url` to `dest` atomically. Throws typed errors; never leaves a partial file. */
export async function downloadToFile(
  ctx: DownloadContext,
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const limits = ctx.limits ?? DEFAULT_DOWNLOAD_LIMITS;
  const deadline = new AbortController();
  const stopDeadline = awakeTimeout(limits.deadlineMs, () => {
    const message = `download of ${redactUrl(url)} did not finish within its deadline of ${limits.deadlineMs} ms`;
    deadline.abort(new DownloadTimeoutError(message, { reason: 'deadline', secrets: ctx.secrets }));
  });
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  const loop = {
    rt: ctx.rt,
    policy: ctx.retry,
    signal,
    onRetry: bothListeners(ctx.onRetry, options.onRetry),
  };
  try {
    return await withRetries('download', loop, () => attemptDownload(ctx, url, dest, { ...options, signal }, limits));
  } finally {
    stopDeadline();
  }
}

/** Bytes received so far in one attempt (read by the throughput watch). */
interface Counter {
  bytes: number;
}

async function attemptDownload(
  ctx: DownloadContext,
  url: string,
  dest: string,
  options: DownloadOptions & { readonly signal: AbortSignal },
  limits: DownloadLimits,
): Promise<AttemptOutcome<DownloadResult>> {
  const part = partPathFor(dest);
  const stall = new AbortController();
  const signal = AbortSignal.any([options.signal, stall.signal]);
  const inner = { ...options, signal };
  const counter: Counter = { bytes: 0 };
  let stopWatch = (): void => undefined;
  try {
    const opened = await openDownload(ctx, url, signal);
    if (opened.status < 200 || opened.status >= 300) return await httpFailure(ctx, opened);
    assertIdentityEncoding(ctx, opened);
    stopWatch = watchThroughput(
      limits,
      () => counter.bytes,
      (got) => {
        const message =
          `download of ${redactUrl(opened.url)} stalled: ${got} bytes in the last ${limits.windowMs} ms ` +
          `(minimum ${limits.minBytes})`;
        stall.abort(new DownloadTimeoutError(message, { reason: 'stalled', secrets: ctx.secrets }));
      },
    );
    options.onState?.({ phase: 'downloading', bytes: 0, total: opened.length ?? undefined });
    const small = opened.length !== null && opened.length <= SMALL_BODY_BYTES;
    const got = await (small
      ? bufferToFile(ctx, opened, part, inner, counter)
      : streamToFile(ctx, opened, part, inner, counter));
    stopWatch();
    if (opened.length !== null && got.bytes !== opened.length) {
      const error = new DownloadFailedError(
        `download truncated: got ${got.bytes} of ${opened.length} bytes from ${redactUrl(opened.url)}`,
        { secrets: ctx.secrets },
      );
      await rm(part, { force: true });
      return { ok: false, retryable: true, reason: 'truncated body', error };
    }
    const image =
      options.expect === 'bytes' ? null : await verifyOutput(ctx, opened.url, got.reader ?? fileReader(part));
    if (image !== null && !image.ok) {
      await rm(part, { force: true });
      return image.outcome;
    }
    ctx.rt.crashPoint?.('download-part-written');
    await rename(part, dest);
    const mediaType = image?.info.mediaType ?? mediaTypeOf(opened.headers['content-type']);
    return {
      ok: true,
      value: { path: dest, sha256: got.sha256, bytes: got.bytes, mediaType, ...(image ? { image: image.info } : {}) },
    };
  } catch (e) {
    stopWatch();
    await rm(part, { force: true });
    if (options.signal.aborted) throw abortReason(options.signal);
    if (stall.signal.aborted) {
      const error = stall.signal.reason as DownloadTimeoutError;
      return { ok: false, retryable: true, reason: 'stalled', error };
    }
    if (e instanceof ProviderError && RETRYABLE.has(e))
      return { ok: false, retryable: true, reason: 'bad body', error: e };
    if (e instanceof ProviderError) throw e;
    return networkFailure(ctx, url, e);
  }
}

/** Errors thrown from deep inside an attempt that a new attempt may not meet (a bad body). */
const RETRYABLE = new WeakSet<ProviderError>();

/** Drop an unread body (its abort error has no one to go to). */
function discard(opened: OpenedDownload): void {
  opened.body.on('error', () => undefined);
  opened.body.destroy();
}

/** undici's `request` hands over the body as sent: encoded bytes must not pass for an image. */
function assertIdentityEncoding(ctx: DownloadContext, opened: OpenedDownload): void {
  const raw = opened.headers['content-encoding'];
  const encoding = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return;
  discard(opened);
  throw new DownloadRefusedError(
    `refusing the output from ${redactUrl(opened.url)}: it came with Content-Encoding "${encoding.slice(0, 40)}" ` +
      '(we ask for identity, and do not decode)',
    { secrets: ctx.secrets },
  );
}

type Verdict =
  | { readonly ok: true; readonly info: ImageInfo }
  | { readonly ok: false; readonly outcome: AttemptOutcome<DownloadResult> };

/**
 * The body must be a complete image (util/image-probe.ts). Not an image at all: refused for
 * good, a retry would fetch the same page. An image cut short or inconsistent: retried.
 */
async function verifyOutput(
  ctx: DownloadContext,
  url: string,
  reader: ClosableReader | Promise<ClosableReader>,
): Promise<Verdict> {
  const open = await reader;
  try {
    const probe = await probeImage(open);
    if (probe.ok) {
      const { kind, mediaType, ext, width, height } = probe;
      return { ok: true, info: { kind, mediaType, ext, width, height } };
    }
    const what = `the output from ${redactUrl(url)} is not a usable image: ${probe.detail}`;
    if (probe.problem === 'not-image') throw new DownloadRefusedError(what, { secrets: ctx.secrets }, true);
    const error = new DownloadFailedError(what, { secrets: ctx.secrets });
    return { ok: false, outcome: { ok: false, retryable: true, reason: 'damaged image', error } };
  } finally {
    await open.close?.();
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

interface Written {
  readonly sha256: string;
  readonly bytes: number;
  /** The bytes, when they are still in memory (small bodies). */
  readonly reader?: ByteReader | undefined;
}

/** Stream the body through a counting, hashing, cap-enforcing stage into `part`. */
async function streamToFile(
  ctx: DownloadContext,
  opened: OpenedDownload,
  part: string,
  options: DownloadOptions,
  counter: Counter,
): Promise<Written> {
  const hash = opened.length !== null && opened.length >= OFFLOAD_HASH_BYTES ? workerHash() : inlineHash();
  let bytes = 0;
  let reported = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      counter.bytes = bytes;
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

/**
 * Read a small body (declared length at most SMALL_BODY_BYTES) into one buffer of that size,
 * counting as it comes (for the throughput watch); a byte past the declared length ends it.
 */
async function bufferToFile(
  ctx: DownloadContext,
  opened: OpenedDownload,
  part: string,
  options: DownloadOptions,
  counter: Counter,
): Promise<Written> {
  const declared = opened.length ?? 0;
  const body = Buffer.allocUnsafe(declared);
  for await (const chunk of opened.body as AsyncIterable<Buffer>) {
    if (counter.bytes + chunk.length > declared) {
      discard(opened);
      const error = new DownloadFailedError(
        `download of ${redactUrl(opened.url)}: the body is longer than its Content-Length (${declared} bytes)`,
        { secrets: ctx.secrets },
      );
      RETRYABLE.add(error);
      throw error;
    }
    chunk.copy(body, counter.bytes);
    counter.bytes += chunk.length;
  }
  const got = body.subarray(0, counter.bytes);
  // A body cut short ends in a socket error (retried), or is caught by the caller's length check.
  await inFolder(part, () =>
    writeFile(part, got, {
      flag: 'wx',
      mode: 0o644,
      flush: true,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  );
  options.onProgress?.(got.length, opened.length);
  return { sha256: createHash('sha256').update(got).digest('hex'), bytes: got.length, reader: bufferReader(got) };
}

/** Create `path` with `create`; if its folder is missing, make it and try again (no mkdir per download). */
async function inFolder<T>(path: string, create: () => Promise<T>): Promise<T> {
  // Out of file descriptors (a low `ulimit -n`, many -j slots): tried again once one is free.
  try {
    return await retryFdLimit(create);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    await mkdirp(dirname(path));
    return retryFdLimit(create);
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
  const failure = codedFailure(code, ctx.dispatcher, url);
  const error = new NetworkError(`download of ${redactUrl(url)}: ${failure.text}`, {
    cause: e,
    secrets: ctx.secrets,
    ...failure.options,
  });
  return { ok: false, retryable: failure.retryable, reason: code, error };
}

function mediaTypeOf(v: string | string[] | undefined): string | null {
  const s = (Array.isArray(v) ? v[0] : v)?.split(';')[0]?.trim().toLowerCase();
  return s ? s : null;
}
