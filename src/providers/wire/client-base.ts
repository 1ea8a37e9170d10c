/**
 * The parts every BFL / fal.ai client is wired from: one undici dispatcher with timeouts, the
 * retry policy, the JSON call context with the provider's auth header, learned completion times
 * per model (src/providers/polling/, saved in the cache dir), and downloads from the provider's
 * CDN hosts (plus `KONTEXT_ALLOW_HOSTS`) through RunComfy's streaming, verifying downloader.
 */
import type { Runtime } from '../../runtime.js';
import type { PollPolicy } from '../polling/backoff.js';
import { LearnedTimesBook } from '../polling/learned-file.js';
import { type DownloadOptions, downloadToFile } from '../runcomfy/download.js';
import { type DownloadLimits, resolveDownloadLimits } from '../runcomfy/download-limits.js';
import { DEFAULT_DEADLINE_MS, resolvePollPolicy } from '../runcomfy/poll.js';
import { type RetryPolicy, resolveRetryPolicy } from '../runcomfy/retry.js';
import { createDispatcher } from '../runcomfy/transport.js';
import type { DownloadResult, RetryListener } from '../types.js';
import type { JsonApi } from './json-call.js';
import type { ProviderVoice } from './map-status.js';
import { closeDispatcher } from '../../util/http-request.js';

/** Default download cap: 2 GiB (as RunComfy's). */
const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;

/** What a caller (the session, a test) may set on a BFL or fal client. */
export interface HostedClientOptions {
  /** API base without a trailing `/` (`https://api.bfl.ai`, `https://queue.fal.run`). */
  readonly baseUrl: string;
  readonly rt: Runtime;
  /** `KONTEXT_ALLOW_HOSTS`: trusted for downloads, and with the key for API URLs the API returned. */
  readonly allowHosts?: readonly string[] | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly poll?: Partial<PollPolicy> | undefined;
  /** Overall deadline of one `wait`, default 30 min (exit 75). */
  readonly deadlineMs?: number | undefined;
  readonly maxDownloadBytes?: number | undefined;
  readonly downloadLimits?: Partial<DownloadLimits> | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  /** Where learned completion times are loaded from and saved to (the cache dir's `poll-times/`). */
  readonly pollTimesDir?: string | undefined;
  readonly onRetry?: RetryListener | undefined;
}

export interface WireSpec {
  readonly providerName: string;
  readonly auth: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
  readonly voice: ProviderVoice;
  /** The provider's CDN hosts, and how a refusal names them. */
  readonly cdn: { readonly test: (host: string) => boolean; readonly hint: string };
}

export interface ClientBase {
  readonly api: JsonApi;
  readonly baseUrl: string;
  readonly allowHosts: readonly string[];
  readonly poll: PollPolicy;
  readonly defaultDeadlineMs: number;
  readonly book: LearnedTimesBook;
  download(url: string, dest: string, options?: DownloadOptions): Promise<DownloadResult>;
  close(): Promise<void>;
}

export function clientBase(options: HostedClientOptions, spec: WireSpec): ClientBase {
  const dispatcher = createDispatcher(options);
  const retry = resolveRetryPolicy(options.retry);
  const allowHosts = options.allowHosts ?? [];
  const book = new LearnedTimesBook(spec.providerName, options.pollTimesDir);
  const downloadCtx = {
    dispatcher,
    rt: options.rt,
    retry,
    onRetry: options.onRetry,
    allowHosts,
    maxBytes: options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    secrets: spec.secrets,
    trustedHosts: spec.cdn,
    limits: resolveDownloadLimits(options.rt.env, options.downloadLimits),
  };
  return {
    api: {
      dispatcher,
      rt: options.rt,
      retry,
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      auth: spec.auth,
      secrets: spec.secrets,
      voice: spec.voice,
      onRetry: options.onRetry,
    },
    baseUrl: options.baseUrl.trim().replace(/\/+$/, ''),
    allowHosts,
    poll: resolvePollPolicy(options.poll),
    defaultDeadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    book,
    download: (url, dest, dl) => downloadToFile(downloadCtx, url, dest, dl),
    close: async () => {
      await book.save();
      await closeDispatcher(dispatcher);
    },
  };
}
