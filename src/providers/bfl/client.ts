/**
 * The Black Forest Labs provider (docs/architecture.md#the-bfl-api): submit through the model
 * table, wait on the returned `polling_url` through the shared poll loop, download `result.sample`
 * at once (its URL lives ~10 minutes) from `delivery*.bfl.ai`, and report `result.seed`. BFL has
 * no cancel endpoint: `cancel` answers `not_cancellable` (the request stays journaled and a
 * later run re-attaches to it instead of paying again).
 */
import type { Provider, WaitOptions } from '../types.js';
import { pollUntil } from '../polling/poll-loop.js';
import { DEFAULT_MAX_GAP_MS } from '../polling/schedule.js';
import { DeadlineExceededError, OutputMissingError } from '../runcomfy/errors.js';
import { clientBase, type HostedClientOptions } from '../wire/client-base.js';
import { type ApiHostRule, hostPatterns } from '../wire/hosts.js';
import { BFL_AUTH_HINT } from './auth.js';
import { bflEntry, readBfl, submitBfl, taskIdOf } from './endpoints.js';
import { bflTookMs } from './status.js';
import { ownValue } from '../../util/own.js';

export interface BflOptions extends HostedClientOptions {
  /** `BFL_API_KEY`, sent as `x-key`. */
  readonly key: string;
}

export type BflProvider = Provider & { close(): Promise<void> };

/** Where BFL's API (and so its regional polling hosts) lives. */
const API_HOSTS = ['api*.bfl.ai'];
/** Where BFL serves outputs: `delivery-eu1.bfl.ai` and the like; older results from an Azure blob. */
const DELIVERY_HOSTS = ['delivery*.bfl.ai', 'bfldeliveryprod.blob.core.windows.net'];
const MIN_STEP_MS = 5;

export function createBflProvider(options: BflOptions): BflProvider {
  const secrets = [options.key];
  const base = clientBase(options, {
    providerName: 'bfl',
    auth: { 'x-key': options.key },
    secrets,
    voice: {
      label: 'BFL',
      authHint: BFL_AUTH_HINT,
      balanceHint: 'add credits at https://dashboard.bfl.ai, then run again',
    },
    cdn: {
      test: hostPatterns(DELIVERY_HOSTS),
      hint: `BFL outputs are downloaded only from ${DELIVERY_HOSTS.join(', ')}`,
    },
  });
  const rule: ApiHostRule = {
    trusted: hostPatterns(API_HOSTS),
    baseUrl: base.baseUrl,
    allowHosts: base.allowHosts,
    label: 'BFL',
    patterns: API_HOSTS.join(', '),
    secrets,
  };
  const models = new Map<string, string>();
  const wait = (pollingUrl: string, o: WaitOptions = {}): Promise<{ outputUrls: string[]; seed?: number }> => {
    const task = taskIdOf(pollingUrl, secrets);
    const deadlineMs = o.deadlineMs ?? base.defaultDeadlineMs;
    return pollUntil({
      rt: options.rt,
      schedule: { policy: base.poll, minStepMs: MIN_STEP_MS, maxGapMs: base.poll.maxGapMs ?? DEFAULT_MAX_GAP_MS },
      learned: base.book.forRequest(pollingUrl),
      signal: o.signal,
      deadlineMs,
      deadlineUsedMs: o.deadlineUsedMs,
      submittedAt: o.submittedAt,
      firstPollAfter: o.firstPollAfter,
      onState: o.onState,
      read: async (_aimed, signal) => {
        const got = await readBfl(base.api, rule, pollingUrl, signal, o.onRetry);
        // BFL does not tell queued from running ("Pending"); it cannot cancel either, so "running"
        // lets an abandoned request finish into the cache rather than be given up unpaid-for nothing.
        if (got.phase === 'running') return { state: { phase: 'running' } };
        // Every BFL Kontext entry reads its result alike; a re-attached request's model is not known.
        const read = bflEntry(models.get(pollingUrl) ?? 'flux-kontext-pro').readResult(got.result);
        if (read.outputUrls.length === 0) {
          throw new OutputMissingError(`BFL task ${task} is Ready without a result.sample URL`, {
            requestId: task,
            secrets,
          });
        }
        const done = { outputUrls: [...read.outputUrls], ...(read.seed === undefined ? {} : { seed: read.seed }) };
        return { done, tookMs: bflTookMs(ownValue<unknown>(got.result, 'result')) };
      },
      onDeadline: () => {
        throw new DeadlineExceededError(
          `BFL task ${task} did not finish within ${Math.round(deadlineMs / 1000)} s; ` +
            'BFL cannot cancel it, so it may still be billed',
          { requestId: task, cancelOutcome: 'not_cancellable', secrets },
        );
      },
    });
  };
  return {
    name: 'bfl',
    modelInfo: async (model) => {
      const entry = bflEntry(model);
      return { model: entry.id, priceUsd: typeof entry.priceUsd === 'number' ? entry.priceUsd : null };
    },
    submit: async (req, signal, onRetry, stop) => {
      await base.book.forModel(bflEntry(req.model).id);
      const { requestId, model } = await submitBfl(base.api, base.baseUrl, req, signal, onRetry, stop);
      base.book.note(requestId, model);
      models.set(requestId, model);
      return { requestId };
    },
    wait,
    requestName: (pollingUrl) => taskIdOf(pollingUrl, secrets),
    cancel: async () => 'not_cancellable',
    download: (url, dest, dl) => base.download(url, dest, dl),
    close: () => base.close(),
  };
}
