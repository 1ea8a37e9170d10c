/**
 * Wait for a RunComfy request to finish: the provider-neutral loop of src/providers/polling/
 * does the timing (reads aimed where this client's requests are expected to finish); this file
 * says what a read is, reads the result once done, and cancels on the deadline.
 */
import type { RetryListener, WaitOptions } from '../types.js';
import type { ApiContext, JsonObject } from './api-call.js';
import { cancelRequest, getResult, getStatus } from './endpoints.js';
import {
  DeadlineExceededError,
  InputRejectedError,
  OutputMissingError,
  RemoteCancelledError,
  RemoteFailedError,
  RequestGoneError,
} from './errors.js';
import { errorTextOf } from './map-error.js';
import type { CompletionTimes } from '../polling/completion-times.js';
import type { PollPolicy } from '../polling/backoff.js';
import { isoDuration, pollUntil, type ReadOutcome } from '../polling/poll-loop.js';
import { DEFAULT_MAX_GAP_MS } from '../polling/schedule.js';
import { collectOutputUrls, readStatus } from './status.js';

export interface WaitContext {
  readonly api: ApiContext;
  readonly poll: PollPolicy;
  readonly defaultDeadlineMs: number;
  /** Completion times of this client's earlier requests (reads aim at the expected finish). */
  readonly learned?: CompletionTimes | undefined;
  /** Cleared for good when the service refuses a result read of an unfinished request. */
  readonly resultReads?: { ok: boolean } | undefined;
  /** Largest gap between reads inside the learned spread (default {@link DEFAULT_MAX_GAP_MS}). */
  readonly maxGapMs?: number | undefined;
}

/**
 * Reads are never closer together than this, however short jobs are. It only matters for
 * sub-second jobs (the emulator's): A/B on the scheduler bench, 5 ms gave 1.087× against
 * 1.101× for 10 ms, with the same number of reads per request.
 */
const MIN_POLL_STEP_MS = 5;

/** Poll until the request finishes; return its output URLs or throw a typed error. */
export function waitForOutputs(
  ctx: WaitContext,
  requestId: string,
  options: WaitOptions = {},
): Promise<{ outputUrls: string[] }> {
  return pollUntil({
    rt: ctx.api.rt,
    schedule: {
      policy: ctx.poll,
      minStepMs: MIN_POLL_STEP_MS,
      maxGapMs: ctx.maxGapMs ?? ctx.poll.maxGapMs ?? DEFAULT_MAX_GAP_MS,
    },
    learned: ctx.learned,
    signal: options.signal,
    deadlineMs: options.deadlineMs ?? ctx.defaultDeadlineMs,
    deadlineUsedMs: options.deadlineUsedMs,
    submittedAt: options.submittedAt,
    firstPollAfter: options.firstPollAfter,
    onState: options.onState,
    read: (aimed, signal) => readOnce(ctx, requestId, aimed, { ...options, signal }),
    onDeadline: () => timeout(ctx, requestId, options.deadlineMs ?? ctx.defaultDeadlineMs, options.signal),
  });
}

async function readOnce(
  ctx: WaitContext,
  requestId: string,
  aimed: boolean,
  options: WaitOptions,
): Promise<ReadOutcome<{ outputUrls: string[] }>> {
  const { reply, viaResult } = await read(ctx, requestId, aimed, options.signal, options.onRetry);
  const status = readStatus(reply);
  if (status.phase === 'queued') return { state: { phase: 'queued', position: status.position } };
  if (status.phase === 'running') return { state: { phase: 'running' } };
  if (status.phase === 'cancelled') throw cancelled(ctx, requestId);
  // A result reply with an unknown word but output URLs is finished (as after a status poll).
  if (status.phase === 'done' || status.phase === 'failed' || viaResult) {
    const result = viaResult ? reply : await resultOfFinished(ctx, requestId, options);
    const urls = outputsOf(ctx, requestId, result);
    if (urls) return { done: { outputUrls: urls }, tookMs: isoDuration(result['created_at'], result['finished_at']) };
  }
  return {};
}

/**
 * One poll: a result read when aimed at the finish, else a status read. A result read of an
 * unfinished request returns its state (docs/architecture.md#the-runcomfy-api); should the
 * service refuse it instead (a 4xx), this client polls status from then on rather than fail
 * (or, worse, take it for an unknown request and pay for it again).
 */
async function read(
  ctx: WaitContext,
  requestId: string,
  wantResult: boolean,
  signal: AbortSignal | undefined,
  onRetry: RetryListener | undefined,
): Promise<{ readonly reply: JsonObject; readonly viaResult: boolean }> {
  if (wantResult && ctx.resultReads?.ok !== false) {
    try {
      return { reply: await getResult(ctx.api, requestId, signal, onRetry), viaResult: true };
    } catch (e) {
      // A result read's "unknown request" proves nothing either: the status read decides.
      if (!(e instanceof InputRejectedError || e instanceof RequestGoneError) || !ctx.resultReads) throw e;
      // The request itself may be unknown (then status fails the same way, and says so).
      const reply = await getStatus(ctx.api, requestId, signal, onRetry);
      ctx.resultReads.ok = false;
      return { reply, viaResult: false };
    }
  }
  return { reply: await getStatus(ctx.api, requestId, signal, onRetry), viaResult: false };
}

/**
 * The result of a request its status read has just said is over. The service's "unknown request"
 * on this read contradicts that read (a glitch, not proof it lost the request: a re-attach would
 * pay for it again), so it is taken as a finished request without its output yet: read again,
 * and left journaled if it stays so (src/run/remote-outcome.ts).
 */
async function resultOfFinished(ctx: WaitContext, requestId: string, options: WaitOptions): Promise<JsonObject> {
  try {
    return await getResult(ctx.api, requestId, options.signal, options.onRetry);
  } catch (e) {
    if (!(e instanceof RequestGoneError)) throw e;
    const message = `request ${requestId} finished, yet its result read answered that the request is unknown`;
    throw new OutputMissingError(message, { requestId, secrets: [ctx.api.token], cause: e });
  }
}

/** Read the result of a finished request: URLs, or a typed error; `undefined` if not final yet. */
function outputsOf(ctx: WaitContext, requestId: string, result: JsonObject): string[] | undefined {
  const { phase } = readStatus(result);
  const urls = collectOutputUrls(result['output']);
  if (phase === 'failed') throw failed(ctx, requestId, result);
  if (phase === 'cancelled') throw cancelled(ctx, requestId);
  if ((phase === 'done' || phase === 'unknown') && urls.length > 0) return urls;
  // Paid for, yet no output: not a failure of the request (the journal keeps it; it is read again).
  if (phase === 'done') {
    throw new OutputMissingError(`request ${requestId} finished without an output URL`, {
      requestId,
      secrets: [ctx.api.token],
    });
  }
  return undefined;
}

function failed(ctx: WaitContext, requestId: string, result: JsonObject): RemoteFailedError {
  const text = errorTextOf(result, '', [ctx.api.token]) ?? 'no reason given';
  return new RemoteFailedError(`request ${requestId} failed remotely: ${text}`, {
    requestId,
    remoteError: result['error'] ?? null,
    secrets: [ctx.api.token],
  });
}

function cancelled(ctx: WaitContext, requestId: string): RemoteCancelledError {
  return new RemoteCancelledError(`request ${requestId} was cancelled remotely`, {
    requestId,
    secrets: [ctx.api.token],
  });
}

/** The deadline passed: cancel (best effort, never masking the timeout) and throw exit 75. */
const CANCEL_OUTCOME_WORDS = {
  cancelled: 'it was cancelled',
  not_cancellable: 'it could not be cancelled (already running) and may still be billed',
  failed: 'cancelling it failed',
} as const;

/**
 * How long the cancel at the deadline may take, as a Ctrl-C's (src/run/execute.ts): a cancel
 * endpoint that never answers must not hold the wait (request timeout x retries) past it.
 */
const DEADLINE_CANCEL_MS = 10_000;

async function timeout(
  ctx: WaitContext,
  requestId: string,
  deadlineMs: number,
  signal: AbortSignal | undefined,
): Promise<never> {
  let outcome: 'cancelled' | 'not_cancellable' | 'failed';
  const bound = AbortSignal.timeout(DEADLINE_CANCEL_MS);
  try {
    outcome = await cancelRequest(ctx.api, requestId, signal ? AbortSignal.any([signal, bound]) : bound);
  } catch {
    outcome = 'failed';
  }
  const what = CANCEL_OUTCOME_WORDS[outcome];
  throw new DeadlineExceededError(
    `request ${requestId} did not finish within ${Math.round(deadlineMs / 1000)} s; ${what}`,
    {
      requestId,
      cancelOutcome: outcome,
      secrets: [ctx.api.token],
    },
  );
}
