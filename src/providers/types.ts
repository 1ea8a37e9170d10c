/**
 * The one small interface every image-edit provider implements. The runner only talks to this.
 */
import type { ImageInfo } from '../util/image-probe.js';

/** One edit request, provider-neutral. */
export interface EditRequest {
  readonly model: string;
  readonly prompt: string;
  /** A URL the provider can fetch (https, or a data: URI where supported). */
  readonly imageUrl: string;
  readonly seed?: number | undefined;
  readonly aspectRatio?: string | undefined;
  /** Extra provider fields, passed through as-is. */
  readonly params?: Readonly<Record<string, unknown>> | undefined;
}

/** Remote progress, as reported while waiting. */
export type RemoteState =
  | { readonly phase: 'queued'; readonly position?: number | undefined }
  | { readonly phase: 'running' }
  | { readonly phase: 'downloading'; readonly bytes?: number | undefined; readonly total?: number | undefined };

export interface ModelInfo {
  readonly model: string;
  /** Price per request in USD, `null` when the provider does not say. */
  readonly priceUsd: number | null;
  /** The model's input schema as the provider reports it. */
  readonly inputSchema?: unknown;
}

/** A retry about to happen inside a provider call (told to the caller, e.g. as a node event). */
export interface RetryNotice {
  readonly call: string;
  /** The retry about to happen (1 = first retry). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
  /** The wait the server asked for (`Retry-After`), when it did. */
  readonly retryAfterMs?: number | undefined;
  /**
   * A submit's retry only (every attempt so far refused, or never connected: nothing on the wire):
   * `hook` runs after the pause, right before the next attempt goes out, which waits for it; if it
   * throws, nothing more is sent and the submit fails with its error. The run keeps its intent
   * marked as refused meanwhile (run/submit-between.ts).
   */
  readonly beforeNext?: ((hook: () => Promise<void>) => void) | undefined;
}

export type RetryListener = (notice: RetryNotice) => void;

export interface WaitOptions {
  readonly signal?: AbortSignal | undefined;
  /** Told about every retry of this wait's polls. */
  readonly onRetry?: RetryListener | undefined;
  readonly onState?: ((state: RemoteState) => void) | undefined;
  /** Overall deadline in ms from now; on expiry the request is cancelled and a timeout error thrown. */
  readonly deadlineMs?: number | undefined;
  /**
   * How much of the deadline earlier waits for this request already spent (ms, default 0): a
   * caller that waits again after a read answered by a stray 404 passes the time since its first
   * wait began, so the deadline is the request's, not one per wait. A duration, so a provider on
   * another clock than the caller's counts it alike.
   */
  readonly deadlineUsedMs?: number | undefined;
  /**
   * No status or result request goes out before this settles, and if it rejects the wait
   * rejects with its error: the caller journals the request id meanwhile (durably, before
   * polling) without holding up the wait's first pause.
   */
  readonly firstPollAfter?: Promise<unknown> | undefined;
  /**
   * When the request was sent (`rt.monotonic()` just before submit; default: now). Polls aimed at
   * the expected finish count from here, as the service's own durations do; a reply that was
   * slow to reach us then does not delay them.
   */
  readonly submittedAt?: number | undefined;
}

export interface DownloadResult {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** From the bytes (the sniffed image kind) when checked as an image, else from Content-Type. */
  readonly mediaType: string | null;
  /** What the bytes were checked to be: kind, extension, dimensions (absent with `expect: 'bytes'`). */
  readonly image?: ImageInfo | undefined;
}

export interface Provider {
  readonly name: string;
  modelInfo(model: string, signal?: AbortSignal): Promise<ModelInfo>;
  /**
   * Submit once. Retries only when the server clearly refused it (no request id issued). `stop`
   * (the run's Ctrl-C, where `signal` is its grace for an attempt already on the wire) ends it
   * between attempts: no new attempt is sent, and a wait for a retry ends at once.
   */
  submit(
    req: EditRequest,
    signal?: AbortSignal,
    onRetry?: RetryListener,
    stop?: AbortSignal,
  ): Promise<{ readonly requestId: string }>;
  /**
   * Poll until finished; returns the output URLs, and the seed the provider says it used when it
   * says one (BFL, fal). Throws typed errors for failure/timeout.
   */
  wait(
    requestId: string,
    options?: WaitOptions,
  ): Promise<{ readonly outputUrls: readonly string[]; readonly seed?: number | undefined }>;
  /** Cancel a request; only queued requests can be cancelled. */
  cancel(requestId: string, signal?: AbortSignal): Promise<'cancelled' | 'not_cancellable'>;
  /**
   * How messages name `requestId` (default: as it is). Every message's URLs lose their query, so
   * an id that is a URL carrying the task in it (BFL's polling URL, `…/get_result?id=<task>`) is
   * named by that task id: never a key, else the URL.
   */
  requestName?(requestId: string): string;
  /** Stream an output to `destPath` atomically (temp file, flushed to disk, then renamed), hashing as it goes. */
  download(
    url: string,
    destPath: string,
    options?: {
      readonly signal?: AbortSignal | undefined;
      readonly onProgress?: ((bytes: number, total: number | null) => void) | undefined;
      readonly onRetry?: RetryListener | undefined;
      /** `image` (default): refuse anything but a complete image; `bytes`: any bytes. */
      readonly expect?: 'image' | 'bytes' | undefined;
    },
  ): Promise<DownloadResult>;
}
