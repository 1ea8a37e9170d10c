/**
 * Wait for a request to finish: poll on the policy's schedule (or where this client's requests
 * are expected to finish, see completion-times.ts), report progress, read the
 * result once done, and enforce the overall deadline by cancelling the request.
 */
import type { RemoteState, RetryListener, WaitOptions } from '../types.js';
import type { ApiContext, JsonObject } from './api-call.js';
import { cancelRequest, getResult, getStatus } from './endpoints.js';
import { DeadlineExceededError, InputRejectedError, RemoteCancelledError, RemoteFailedError } from './errors.js';
import { errorTextOf } from './map-error.js';
import { type CompletionTimes, planPoll } from './completion-times.js';
import type { PollPolicy } from './poll.js';
import { pause } from './retry-loop.js';
import { collectOutputUrls, readStatus } from './status.js';

export interface WaitContext {
  readonly api: ApiContext;
  readonly poll: PollPolicy;
  readonly defaultDeadlineMs: number;
  /** Completion times of this client's earlier requests (polls aim at the expected finish). */
  readonly learned?: CompletionTimes | undefined;
  /** Cleared for good when the service refuses a result read of an unfinished request. */
  readonly resultReads?: { ok: boolean } | undefined;
}

/**
 * Polls are never closer together than this, however short jobs are. It only matters for
 * sub-second jobs (the emulator's): A/B on the scheduler bench, 5 ms gave 1.087× against
 * 1.101× for 10 ms, with the same number of reads per request.
 */
const MIN_POLL_STEP_MS = 5;

/** Poll until the request finishes; return its output URLs or throw a typed error. */
export async function waitForOutputs(
  ctx: WaitContext,
  requestId: string,
  options: WaitOptions = {},
): Promise<{ outputUrls: string[] }> {
  const { rt } = ctx.api;
  const signal = options.signal;
  const deadlineMs = options.deadlineMs ?? ctx.defaultDeadlineMs;
  const deadlineAt = rt.now() + deadlineMs;
  const report = stateReporter(options.onState);
  const began = Math.min(rt.now(), options.submittedAt ?? Infinity);
  options.firstPollAfter?.catch(() => undefined); // handled: awaited before the first poll
  let lastNotDone = 0;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineAt - rt.now();
    if (remaining <= 0) return timeout(ctx, requestId, deadlineMs);
    const plan = planPoll(
      attempt,
      rt.now() - began,
      ctx.poll,
      ctx.learned?.expected(MIN_POLL_STEP_MS) ?? null,
      MIN_POLL_STEP_MS,
    );
    await pause(rt, Math.min(plan.delayMs, remaining), signal);
    if (attempt === 0) await options.firstPollAfter;
    const askedAt = rt.now() - began;
    const { reply, viaResult } = await read(ctx, requestId, plan.readResult, signal, options.onRetry);
    const status = readStatus(reply);
    if (status.phase !== 'done') lastNotDone = askedAt;
    if (status.phase === 'queued') report({ phase: 'queued', position: status.position });
    else if (status.phase === 'running') report({ phase: 'running' });
    else if (status.phase === 'cancelled') throw cancelled(ctx, requestId);
    // A result reply with an unknown word but output URLs is finished (as after a status poll).
    else if (status.phase === 'done' || status.phase === 'failed' || (viaResult && status.phase === 'unknown')) {
      const result = viaResult ? reply : await getResult(ctx.api, requestId, signal, options.onRetry);
      const urls = outputsOf(ctx, requestId, result);
      if (urls) {
        learn(ctx.learned, result, lastNotDone, askedAt);
        return { outputUrls: urls };
      }
    }
  }
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
      if (!(e instanceof InputRejectedError) || !ctx.resultReads) throw e;
      // The request itself may be unknown (then status fails the same way, and says so).
      const reply = await getStatus(ctx.api, requestId, signal, onRetry);
      ctx.resultReads.ok = false;
      return { reply, viaResult: false };
    }
  }
  return { reply: await getStatus(ctx.api, requestId, signal, onRetry), viaResult: false };
}

/**
 * Remember how long this request took. The service's own `created_at` → `finished_at` is best:
 * it is the job's time, while our polls also measure how late our own timers fired, and on a
 * busy client that lateness would feed back into ever later polls. Without both times, the
 * polls that bracket the finish stand in.
 */
function learn(learned: CompletionTimes | undefined, result: JsonObject, lastNotDone: number, askedAt: number): void {
  if (!learned) return;
  const took = serviceDuration(result);
  if (took !== null) learned.recordDuration(took);
  else learned.record(lastNotDone, askedAt, MIN_POLL_STEP_MS);
}

function serviceDuration(result: JsonObject): number | null {
  const created = typeof result['created_at'] === 'string' ? Date.parse(result['created_at']) : NaN;
  const finished = typeof result['finished_at'] === 'string' ? Date.parse(result['finished_at']) : NaN;
  const took = finished - created;
  return Number.isFinite(took) && took >= 0 ? took : null;
}

/** Read the result of a finished request: URLs, or a typed error; `undefined` if not final yet. */
function outputsOf(ctx: WaitContext, requestId: string, result: JsonObject): string[] | undefined {
  const { phase } = readStatus(result);
  const urls = collectOutputUrls(result['output']);
  if (phase === 'failed') throw failed(ctx, requestId, result);
  if (phase === 'cancelled') throw cancelled(ctx, requestId);
  if ((phase === 'done' || phase === 'unknown') && urls.length > 0) return urls;
  if (phase === 'done') {
    throw new RemoteFailedError(`request ${requestId} finished without an output URL`, {
      requestId,
      remoteError: result['output'] ?? null,
      secrets: [ctx.api.token],
    });
  }
  return undefined;
}

function failed(ctx: WaitContext, requestId: string, result: JsonObject): RemoteFailedError {
  const text = errorTextOf(result) ?? 'no reason given';
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

async function timeout(ctx: WaitContext, requestId: string, deadlineMs: number): Promise<never> {
  let outcome: 'cancelled' | 'not_cancellable' | 'failed';
  try {
    outcome = await cancelRequest(ctx.api, requestId);
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

/** Call `onState` only when the state changes (phase or queue position). */
function stateReporter(onState: ((state: RemoteState) => void) | undefined): (state: RemoteState) => void {
  let last = '';
  return (state) => {
    const key = JSON.stringify(state);
    if (key === last || !onState) return;
    last = key;
    onState(state);
  };
}
