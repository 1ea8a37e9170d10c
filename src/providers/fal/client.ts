/**
 * The fal.ai provider (docs/architecture.md#the-fal-queue-api): submit to the queue through the
 * model table, wait on the status stream (server-sent events: one request, no poll delay) or,
 * when it breaks, on the returned `status_url` / `response_url` through the shared poll loop,
 * cancel with `PUT cancel_url` (Ctrl-C, deadlines), download `images[0].url` from `*.fal.media`,
 * and report the `seed` fal used.
 */
import { falKeySecrets } from '../../models/credentials.js';
import { pollUntil, remainingOf } from '../polling/poll-loop.js';
import { DEFAULT_MAX_GAP_MS } from '../polling/schedule.js';
import { DeadlineExceededError } from '../runcomfy/errors.js';
import type { Provider, WaitOptions } from '../types.js';
import { clientBase, type HostedClientOptions } from '../wire/client-base.js';
import { type ApiHostRule, hostPatterns } from '../wire/hosts.js';
import { FAL_AUTH_HINT } from './auth.js';
import { cancelFal, falEntry, type FalUrls, type ReadSpec, rebuiltUrls, submitFal } from './endpoints.js';
import { followStatusStream } from './stream.js';
import { type FalDone, readFal } from './wait.js';

export interface FalOptions extends HostedClientOptions {
  /** `FAL_KEY` (`key_id:key_secret`), sent as `Authorization: Key …`. */
  readonly key: string;
  /** Wait on the status stream first (default true); polling is the fallback either way. */
  readonly statusStream?: boolean | undefined;
  /** How long the status stream may go without a status event before polling takes over (default 60 s). */
  readonly streamSilenceMs?: number | undefined;
}

export type FalProvider = Provider & { close(): Promise<void> };

const API_HOSTS = ['*.fal.run', 'fal.run'];
const MEDIA_HOSTS = ['*.fal.media', 'fal.media'];
const MIN_STEP_MS = 5;

export function createFalProvider(options: FalOptions): FalProvider {
  const secrets = falKeySecrets(options.key);
  const base = clientBase(options, {
    providerName: 'fal',
    auth: { authorization: `Key ${options.key}` },
    secrets,
    voice: {
      label: 'fal.ai',
      authHint: FAL_AUTH_HINT,
      balanceHint: 'top up at https://fal.ai/dashboard/billing, then run again (finished passes are cached)',
    },
    cdn: { test: hostPatterns(MEDIA_HOSTS), hint: `fal.ai outputs are downloaded only from ${MEDIA_HOSTS[0]}` },
  });
  const rule: ApiHostRule = {
    trusted: hostPatterns(API_HOSTS),
    baseUrl: base.baseUrl,
    allowHosts: base.allowHosts,
    label: 'fal.ai',
    patterns: API_HOSTS[0] ?? '',
    secrets,
  };
  const known = new Map<string, { readonly urls: FalUrls; readonly model: string }>();
  const urlsOf = (id: string): FalUrls => known.get(id)?.urls ?? rebuiltUrls(base.baseUrl, id);
  const spec = (requestId: string, signal?: AbortSignal, onRetry?: WaitOptions['onRetry']): ReadSpec => ({
    api: base.api,
    rule,
    requestId,
    signal,
    onRetry,
  });
  const cancel = (id: string, signal?: AbortSignal): Promise<'cancelled' | 'not_cancellable'> =>
    cancelFal(spec(id, signal), urlsOf(id));
  /** The status stream first (one request, no poll delay); polling when it breaks, or is off. */
  const wait = async (id: string, o: WaitOptions = {}): Promise<FalDone> => {
    // Every fal Kontext entry reads its result alike; a re-attached request's model is not known.
    const entry = falEntry(known.get(id)?.model ?? 'flux-kontext-pro');
    const deadlineMs = o.deadlineMs ?? base.defaultDeadlineMs;
    const deadlineAt = options.rt.monotonic() + remainingOf(deadlineMs, o.deadlineUsedMs);
    if (options.statusStream !== false) {
      await o.firstPollAfter; // no request before the journal has the id
      const streamed = await followStatusStream(
        spec(id, o.signal, o.onRetry),
        urlsOf(id).status,
        o.onState,
        AbortSignal.timeout(Math.max(0, deadlineAt - options.rt.monotonic())),
        options.streamSilenceMs,
      );
      if (streamed) {
        const got = await readFal(spec(id, o.signal, o.onRetry), urlsOf(id), entry, true);
        if (got.done) return got.done;
      }
    }
    const remainingMs = Math.max(0, deadlineAt - options.rt.monotonic());
    return pollUntil({
      rt: options.rt,
      schedule: { policy: base.poll, minStepMs: MIN_STEP_MS, maxGapMs: base.poll.maxGapMs ?? DEFAULT_MAX_GAP_MS },
      learned: base.book.forRequest(id),
      signal: o.signal,
      deadlineMs: remainingMs,
      submittedAt: o.submittedAt,
      firstPollAfter: o.firstPollAfter,
      onState: o.onState,
      read: (aimed, signal) => readFal(spec(id, signal, o.onRetry), urlsOf(id), entry, aimed),
      onDeadline: async () => {
        const outcome = await cancel(id, AbortSignal.timeout(10_000)).catch(() => 'failed' as const);
        const what = outcome === 'cancelled' ? 'it was cancelled' : 'it could not be cancelled and may still be billed';
        throw new DeadlineExceededError(
          `fal.ai request ${id} did not finish within ${Math.round(deadlineMs / 1000)} s; ${what}`,
          { requestId: id, cancelOutcome: outcome, secrets },
        );
      },
    });
  };
  return {
    name: 'fal',
    modelInfo: async (model) => {
      const entry = falEntry(model);
      return { model: entry.id, priceUsd: typeof entry.priceUsd === 'number' ? entry.priceUsd : null };
    },
    submit: async (req, signal, onRetry, stop) => {
      await base.book.forModel(falEntry(req.model).id);
      const { requestId, model, urls } = await submitFal(base.api, base.baseUrl, req, signal, onRetry, stop);
      known.set(requestId, { urls, model });
      base.book.note(requestId, model);
      return { requestId };
    },
    wait,
    cancel,
    download: (url, dest, dl) => base.download(url, dest, dl),
    close: () => base.close(),
  };
}
