/**
 * Wait for a Replicate prediction. A create held with `Prefer: wait` often comes back finished:
 * then the wait reads nothing at all. Otherwise the provider-neutral loop of
 * src/providers/polling/ times `GET /v1/predictions/{id}` reads (each one carries the state and,
 * once done, the output), aimed where this client's predictions have been finishing.
 */
import type { ModelEntry } from '../../models/types.js';
import type { WaitOptions } from '../types.js';
import type { PollPolicy } from '../polling/backoff.js';
import type { CompletionTimes } from '../polling/completion-times.js';
import { pollUntil, type ReadOutcome } from '../polling/poll-loop.js';
import { DEFAULT_MAX_GAP_MS } from '../polling/schedule.js';
import { ModeratedError } from '../wire/moderated.js';
import {
  DeadlineExceededError,
  OutputMissingError,
  RemoteCancelledError,
  RemoteFailedError,
} from '../runcomfy/errors.js';
import type { JsonObject, ReplicateApi } from './api-call.js';
import { cancelPrediction, getPrediction } from './endpoints.js';
import { durationOf, errorTextOf, isModeration, outputUrlsOf, phaseOf } from './prediction.js';

export interface ReplicateWaitContext {
  readonly api: ReplicateApi;
  readonly poll: PollPolicy;
  readonly defaultDeadlineMs: number;
  readonly learned: CompletionTimes;
  /** The model of the request, when this client submitted it (its output reader). */
  readonly entry: ModelEntry | undefined;
  /** The prediction as the held create returned it, when that was already final. */
  readonly final: JsonObject | undefined;
}

const MIN_STEP_MS = 5;

type Outputs = { outputUrls: string[] };

export async function waitForPrediction(
  ctx: ReplicateWaitContext,
  id: string,
  options: WaitOptions = {},
): Promise<Outputs> {
  if (ctx.final) {
    // Nothing to read, but the caller's journal write still comes first (as before any read).
    await options.firstPollAfter;
    const outcome = settle(ctx, id, ctx.final);
    if (outcome.done) {
      const took = durationOf(ctx.final);
      if (took !== null) ctx.learned.recordDuration(took);
      return outcome.done;
    }
  }
  const deadlineMs = options.deadlineMs ?? ctx.defaultDeadlineMs;
  return pollUntil<Outputs>({
    rt: ctx.api.rt,
    schedule: { policy: ctx.poll, minStepMs: MIN_STEP_MS, maxGapMs: ctx.poll.maxGapMs ?? DEFAULT_MAX_GAP_MS },
    learned: ctx.learned,
    signal: options.signal,
    deadlineMs,
    deadlineUsedMs: options.deadlineUsedMs,
    submittedAt: options.submittedAt,
    firstPollAfter: options.firstPollAfter,
    onState: options.onState,
    read: async (_aimed, signal) => settle(ctx, id, await getPrediction(ctx.api, id, signal, options.onRetry)),
    onDeadline: () => timeout(ctx, id, deadlineMs, options.signal),
  });
}

/** One prediction read: progress, outputs, or a typed failure. */
function settle(ctx: ReplicateWaitContext, id: string, p: JsonObject): ReadOutcome<Outputs> {
  const secrets = [ctx.api.token];
  switch (phaseOf(p)) {
    case 'queued':
      return { state: { phase: 'queued' } };
    case 'running':
      return { state: { phase: 'running' } };
    case 'unknown':
      return {};
    case 'canceled':
      throw new RemoteCancelledError(`prediction ${id} was canceled`, { requestId: id, secrets });
    case 'failed': {
      const text = errorTextOf(p, secrets);
      const options = { requestId: id, remoteError: p['error'] ?? null, secrets };
      if (isModeration(text)) throw new ModeratedError(`prediction ${id} was moderated: ${text}`, options);
      throw new RemoteFailedError(`prediction ${id} failed remotely: ${text}`, options);
    }
    case 'succeeded': {
      const urls = outputUrlsOf(p, ctx.entry);
      if (urls.length > 0) return { done: { outputUrls: urls }, tookMs: durationOf(p) };
      // Deleted by Replicate's retention (an hour): gone for good, so not kept in the journal.
      if (p['data_removed'] === true) {
        throw new RemoteFailedError(
          `prediction ${id} succeeded, but Replicate has deleted its output (API outputs are kept one hour)`,
          { requestId: id, remoteError: p['output'] ?? null, secrets },
        );
      }
      // Paid for, yet no output: a glitch, not a failure (kept in the journal and read again).
      throw new OutputMissingError(`prediction ${id} succeeded without an output URL`, { requestId: id, secrets });
    }
    default: {
      const never: never = phaseOf(p) as never;
      return never;
    }
  }
}

/** How long the cancel at the deadline may take (as a Ctrl-C's, src/run/execute.ts); Ctrl-C ends it too. */
const DEADLINE_CANCEL_MS = 10_000;

async function timeout(
  ctx: ReplicateWaitContext,
  id: string,
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<never> {
  let outcome: 'cancelled' | 'not_cancellable' | 'failed';
  const bound = AbortSignal.timeout(DEADLINE_CANCEL_MS);
  try {
    // Stuck for the whole deadline: cancelled even while running, to stop its billing.
    outcome = await cancelPrediction(ctx.api, id, signal ? AbortSignal.any([signal, bound]) : bound, { running: true });
  } catch {
    outcome = 'failed';
  }
  const what = outcome === 'cancelled' ? 'it was canceled' : 'canceling it failed; it may still be billed';
  throw new DeadlineExceededError(
    `prediction ${id} did not finish within ${Math.round(deadlineMs / 1000)} s; ${what}`,
    {
      requestId: id,
      cancelOutcome: outcome,
      secrets: [ctx.api.token],
    },
  );
}
