/**
 * The RunComfy provider: wires auth-free options (token and base URL are resolved by the
 * caller, see auth.ts) to the transport, retry, poll and download parts behind `Provider`.
 */
import type { Runtime } from '../../runtime.js';
import type {
  DownloadResult,
  EditRequest,
  ModelInfo,
  Provider,
  RemoteState,
  RetryListener,
  WaitOptions,
} from '../types.js';
import type { ApiContext } from './api-call.js';
import { downloadToFile, type DownloadContext } from './download.js';
import { resolveDownloadLimits, type DownloadLimits } from './download-limits.js';
import { cancelRequest, getModelInfo, submitRequest } from './endpoints.js';
import type { PollPolicy } from '../polling/backoff.js';
import { DEFAULT_DEADLINE_MS, resolvePollPolicy } from './poll.js';
import { resolveRetryPolicy, type RetryPolicy } from './retry.js';
import type { RetryNotice } from '../types.js';
import type { CompletionTimes } from '../polling/completion-times.js';
import { LearnedTimesBook } from '../polling/learned-file.js';
import { createDispatcher } from './transport.js';
import { waitForOutputs } from './wait.js';
import { closeDispatcher } from '../../util/http-request.js';

/** Default download cap: 2 GiB. */
const DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024 ** 3;

export interface RunComfyOptions {
  /** API base including `/v1`, e.g. from {@link resolveBaseUrl}. */
  readonly baseUrl: string;
  readonly token: string;
  readonly rt: Runtime;
  /** Exact extra hosts outputs may come from (beyond *.runcomfy.net / *.runcomfy.com). */
  readonly allowHosts?: readonly string[] | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly poll?: Partial<PollPolicy> | undefined;
  /** Overall deadline of one `wait`, default 30 min; on expiry the request is cancelled (exit 75). */
  readonly deadlineMs?: number | undefined;
  /** Download cap, default 2 GiB. */
  readonly maxDownloadBytes?: number | undefined;
  /** Never through a proxy (`HTTPS_PROXY` of `rt.env`): the in-process emulator. */
  readonly direct?: boolean | undefined;
  /**
   * Download deadline and throughput rule; unset fields come from the environment, then the
   * defaults (download-limits.ts).
   */
  readonly downloadLimits?: Partial<DownloadLimits> | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly requestTimeoutMs?: number | undefined;
  /** Completion times for requests of unknown model (tests); this client adds to them. */
  readonly learned?: CompletionTimes | undefined;
  /** Where learned completion times are loaded from and saved to (the cache dir's `poll-times/`). */
  readonly pollTimesDir?: string | undefined;
  /** The name the learned times are saved under (default `runcomfy`). */
  readonly providerName?: string | undefined;
  /** Told about every retry (the token never appears in `reason`). */
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export type RunComfyProvider = Provider & { close(): Promise<void> };

export function createRunComfyProvider(options: RunComfyOptions): RunComfyProvider {
  const dispatcher = createDispatcher(options);
  const retry = resolveRetryPolicy(options.retry);
  const secrets = [options.token];
  const api: ApiContext = {
    baseUrl: options.baseUrl.trim().replace(/\/+$/, ''),
    token: options.token,
    dispatcher,
    rt: options.rt,
    retry,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    onRetry: options.onRetry,
  };
  const waitCtx = {
    api,
    poll: resolvePollPolicy(options.poll),
    defaultDeadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    resultReads: { ok: true },
  };
  const book = new LearnedTimesBook(options.providerName ?? 'runcomfy', options.pollTimesDir, options.learned);
  const downloadCtx: DownloadContext = {
    dispatcher,
    rt: options.rt,
    retry,
    onRetry: options.onRetry,
    allowHosts: options.allowHosts ?? [],
    maxBytes: options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    secrets,
    limits: resolveDownloadLimits(options.rt.env, options.downloadLimits),
  };
  return {
    name: 'runcomfy',
    modelInfo: (model: string, signal?: AbortSignal): Promise<ModelInfo> => getModelInfo(api, model, signal),
    submit: async (req: EditRequest, signal?: AbortSignal, onRetry?: RetryListener, stop?: AbortSignal) => {
      await book.forModel(req.model);
      const submitted = await submitRequest(api, req, signal, onRetry, stop);
      book.note(submitted.requestId, req.model);
      return submitted;
    },
    wait: (requestId: string, waitOptions?: WaitOptions) =>
      waitForOutputs({ ...waitCtx, learned: book.forRequest(requestId) }, requestId, waitOptions),
    cancel: (requestId: string, signal?: AbortSignal) => cancelRequest(api, requestId, signal),
    download: (
      url: string,
      destPath: string,
      dl?: {
        signal?: AbortSignal | undefined;
        onProgress?: ((bytes: number, total: number | null) => void) | undefined;
        onState?: ((state: RemoteState) => void) | undefined;
        onRetry?: RetryListener | undefined;
        expect?: 'image' | 'bytes' | undefined;
      },
    ): Promise<DownloadResult> => downloadToFile(downloadCtx, url, destPath, dl),
    close: async () => {
      await book.save();
      await closeDispatcher(dispatcher);
    },
  };
}
