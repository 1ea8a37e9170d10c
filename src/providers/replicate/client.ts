/**
 * The Replicate provider (docs/architecture.md#the-replicate-api): wires the model table (body
 * field names, image passing, output reading), the create/get/cancel calls, the polling seam and
 * the shared download (outputs only from `replicate.delivery`) behind `Provider`.
 */
import { lookupModel } from '../../models/registry.js';
import { buildInput } from '../../models/params.js';
import type { ModelEntry } from '../../models/types.js';
import type { Runtime } from '../../runtime.js';
import type { EditRequest, Provider, RetryListener, RetryNotice, WaitOptions } from '../types.js';
import { resolvePollPolicy, type PollPolicy } from '../polling/backoff.js';
import { LearnedTimesBook } from '../polling/learned-file.js';
import { downloadToFile, type DownloadContext } from '../runcomfy/download.js';
import { resolveDownloadLimits } from '../runcomfy/download-limits.js';
import { InputRejectedError } from '../runcomfy/errors.js';
import { DEFAULT_DEADLINE_MS } from '../runcomfy/poll.js';
import { resolveRetryPolicy, type RetryPolicy } from '../runcomfy/retry.js';
import { createDispatcher } from '../runcomfy/transport.js';
import type { JsonObject, ReplicateApi } from './api-call.js';
import { REPLICATE_OUTPUT_HOSTS } from './auth.js';
import { cancelPrediction, createPrediction } from './endpoints.js';
import { checkInlineImage } from './input-image.js';
import { isTerminal, phaseOf } from './prediction.js';
import { waitForPrediction } from './wait.js';
import { closeDispatcher } from '../../util/http-request.js';

/**
 * How long a create is held (`Prefer: wait=N`). Not by default: until the reply comes the
 * prediction id is unknown, so a process killed meanwhile (kill -9, a crash, a power cut, a
 * laptop put to sleep with its connection dropped) leaves a request that may be paid and that
 * no later run can find or re-attach to: the node stops, "maybe paid" (walk-ab 5: a 4 s hold
 * made every kill in a job's first 4 s one). Unheld, the id comes back in one round trip and is
 * journaled at once; a Kontext job takes longer than a hold would save anyway, and reads are
 * free. `KONTEXT_REPLICATE_WAIT_S` (up to {@link MAX_HOLD_S}, which fits inside the run's Ctrl-C
 * grace for a submit on the wire, 5 s) holds it, trading that window for a read saved on short jobs.
 */
const DEFAULT_HOLD_S = 0;
/** The longest hold: one more and a create held at Ctrl-C could outlive the grace, its id lost (maybe paid). */
export const MAX_HOLD_S = 4;

/** Blind backoff until completion times are learned: as RunComfy's. */
const REPLICATE_POLL_POLICY: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5_000 };

export interface ReplicateOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly rt: Runtime;
  /** Exact extra hosts outputs may come from (`KONTEXT_ALLOW_HOSTS`). */
  readonly allowHosts?: readonly string[] | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly poll?: Partial<PollPolicy> | undefined;
  readonly deadlineMs?: number | undefined;
  /** `Prefer: wait=N` on create, 0..{@link MAX_HOLD_S} s (default {@link DEFAULT_HOLD_S}; more is capped). */
  readonly holdS?: number | undefined;
  /** Where learned completion times are kept (the cache dir's `poll-times/`). */
  readonly pollTimesDir?: string | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export type ReplicateProvider = Provider & { close(): Promise<void> };

export function createReplicateProvider(options: ReplicateOptions): ReplicateProvider {
  const dispatcher = createDispatcher({ requestTimeoutMs: 90_000, rt: options.rt });
  const retry = resolveRetryPolicy(options.retry);
  const api: ReplicateApi = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    token: options.token,
    dispatcher,
    rt: options.rt,
    retry,
    deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
    onRetry: options.onRetry,
  };
  const holdS = Math.min(MAX_HOLD_S, Math.max(0, Math.floor(options.holdS ?? DEFAULT_HOLD_S)));
  const book = new LearnedTimesBook('replicate', options.pollTimesDir);
  const entries = new Map<string, ModelEntry>();
  /** Predictions the held create returned already final, by id (read once by their wait). */
  const finals = new Map<string, JsonObject>();
  const download: DownloadContext = {
    dispatcher,
    rt: options.rt,
    retry,
    onRetry: options.onRetry,
    allowHosts: options.allowHosts ?? [],
    trustedHosts: REPLICATE_OUTPUT_HOSTS,
    maxBytes: 2 * 1024 ** 3,
    secrets: [options.token],
    limits: resolveDownloadLimits(options.rt.env, undefined),
  };
  const waitBase = { api, poll: resolvePollPolicy(REPLICATE_POLL_POLICY, options.poll) };
  return {
    name: 'replicate',
    modelInfo: async (model) => ({ model, priceUsd: priceOf(entryFor(model)) }),
    submit: async (req: EditRequest, signal?: AbortSignal, onRetry?: RetryListener, stop?: AbortSignal) => {
      const entry = entryFor(req.model);
      checkInlineImage(entry, req.imageUrl);
      const input = buildInput(entry, {
        prompt: req.prompt,
        image: req.imageUrl,
        seed: req.seed,
        aspectRatio: req.aspectRatio,
        params: req.params,
      });
      await book.forModel(entry.id);
      const { id, prediction } = await createPrediction(api, entry.endpoint, input, holdS, signal, onRetry, stop);
      book.note(id, entry.id);
      entries.set(id, entry);
      if (isTerminal(phaseOf(prediction))) finals.set(id, prediction);
      return { requestId: id };
    },
    wait: (requestId: string, waitOptions?: WaitOptions) => {
      const final = finals.get(requestId);
      finals.delete(requestId);
      const ctx = {
        ...waitBase,
        defaultDeadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
        learned: book.forRequest(requestId),
        entry: entries.get(requestId),
        final,
      };
      return waitForPrediction(ctx, requestId, waitOptions);
    },
    cancel: (requestId: string, signal?: AbortSignal) => cancelPrediction(api, requestId, signal),
    download: (url, destPath, dl) => downloadToFile(download, url, destPath, dl),
    close: async () => {
      await book.save();
      await closeDispatcher(dispatcher);
    },
  };
}

function entryFor(model: string): ModelEntry {
  const entry = lookupModel('replicate', model);
  if (entry) return entry;
  throw new InputRejectedError(`model "${model}" is not available on Replicate`, {
    hint: 'Replicate runs flux-kontext-pro and flux-kontext-max (see `kontext providers`)',
  });
}

function priceOf(entry: ModelEntry): number | null {
  return typeof entry.priceUsd === 'number' ? entry.priceUsd : null;
}
