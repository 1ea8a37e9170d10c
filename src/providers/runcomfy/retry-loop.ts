/**
 * The one retry loop, shared by API calls and downloads. Each attempt reports either a value or
 * a typed error plus whether a retry may help; the loop owns the waiting (through the Runtime,
 * so tests use fast policies) and the `onRetry` notification.
 */
import { InterruptedError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import type { RetryListener, RetryNotice } from '../types.js';
import { type ProviderError, RateLimitedError } from './errors.js';
import { retryDelay, type RetryPolicy } from './retry.js';

export type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: ProviderError;
      readonly retryable: boolean;
      /** Short reason for `onRetry`, e.g. `HTTP 503`, `ECONNRESET`. */
      readonly reason: string;
      readonly retryAfterMs?: number | undefined;
    };

/** Both listeners (the client-wide one and a call's own), either possibly absent. */
export function bothListeners(a: RetryListener | undefined, b: RetryListener | undefined): RetryListener | undefined {
  if (!a || !b) return a ?? b;
  return (info) => {
    a(info);
    b(info);
  };
}

export interface RetryLoopContext {
  readonly rt: Runtime;
  readonly policy: RetryPolicy;
  readonly signal?: AbortSignal | undefined;
  /** A submit: stopped between attempts, it throws {@link SubmitStoppedError}. */
  readonly submit?: boolean | undefined;
  /** Ends the call between attempts only (never one on the wire): a submit's Ctrl-C, `signal` its grace. */
  readonly stop?: AbortSignal | undefined;
  /**
   * A submit's overall deadline, ms from its first attempt (the request's deadline, `deadlineMs`):
   * a refusal's `Retry-After` is waited out in full, past the policy's bound, as long as the wait
   * ends within it; one that would end later fails the submit at once. Without it (reads), a
   * `Retry-After` is clamped to the policy's bound.
   */
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

/** The error to throw when `signal` fired: its reason if it is an Error, else an interruption. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError();
}

/**
 * A submit stopped (Ctrl-C) before an attempt: before the first, or between attempts. A submit
 * is retried only after the server refused it or no connection was made, so nothing was
 * accepted: `notAccepted` tells the run it may clear the intent (src/run/submit-claim.ts)
 * instead of reporting the node as maybe paid. (Stopped during an attempt, it stays uncertain.)
 */
class SubmitStoppedError extends InterruptedError {
  readonly notAccepted = true;
  constructor(reason: Error) {
    super(reason.message, { cause: reason });
  }
}

/**
 * The error for an attempt stopped (Ctrl-C, its grace over) while it was under way: its abort
 * reason; for a submit that `mayHaveSent` says never had a connection to go out on (a proxy that
 * never answered the tunnel's CONNECT), a {@link SubmitStoppedError}: nothing was sent.
 */
export function stoppedDuring(signal: AbortSignal, submit: boolean | undefined, mayHaveSent: boolean): Error {
  const reason = abortReason(signal);
  return submit === true && !mayHaveSent ? new SubmitStoppedError(reason) : reason;
}

/** The error for a loop stopped before an attempt. */
function stopped(ctx: RetryLoopContext, signal: AbortSignal): Error {
  const reason = abortReason(signal);
  return ctx.submit ? new SubmitStoppedError(reason) : reason;
}

/**
 * `rt.sleep`, but an abort always surfaces as {@link abortReason} (Node's timer rejects with a
 * generic AbortError, which would hide why the wait was stopped).
 */
async function pause(rt: Runtime, ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await rt.sleep(ms, signal);
  } catch (e) {
    if (signal?.aborted) throw abortReason(signal);
    throw e;
  }
}

/** Run `attempt` until it succeeds, fails for good, or the policy's attempts are used up. */
export async function withRetries<T>(
  call: string,
  ctx: RetryLoopContext,
  attempt: () => Promise<AttemptOutcome<T>>,
): Promise<T> {
  const deadlineAt = ctx.submit && ctx.deadlineMs !== undefined ? ctx.rt.monotonic() + ctx.deadlineMs : undefined;
  const between = ctx.stop && ctx.signal ? AbortSignal.any([ctx.signal, ctx.stop]) : (ctx.stop ?? ctx.signal);
  for (let n = 1; ; n++) {
    if (between?.aborted) throw stopped(ctx, between);
    const outcome = await attempt();
    if (outcome.ok) return outcome.value;
    if (!outcome.retryable || n >= ctx.policy.maxAttempts) throw outcome.error;
    const delayMs = pauseBefore(n, ctx, outcome, deadlineAt);
    const asked = outcome.retryAfterMs;
    const hooks: (() => Promise<void>)[] = [];
    ctx.onRetry?.({
      call,
      attempt: n,
      delayMs,
      reason: outcome.reason,
      ...(asked === undefined ? {} : { retryAfterMs: asked }),
      ...(ctx.submit ? { beforeNext: (hook: () => Promise<void>) => void hooks.push(hook) } : {}),
    });
    try {
      await pause(ctx.rt, delayMs, between);
    } catch (e) {
      throw between?.aborted ? stopped(ctx, between) : e;
    }
    for (const hook of hooks) await hook();
  }
}

/**
 * The pause before retry `n`. A submit waits out the server's `Retry-After` in full when the
 * wait ends within its deadline (sent sooner, it would only be refused again); one that would
 * end later, or (without a deadline) one over the policy's bound, fails it at once. A backoff
 * pause that would end past the deadline ends the retries with the last refusal.
 */
function pauseBefore(n: number, ctx: RetryLoopContext, outcome: Refusal, deadlineAt: number | undefined): number {
  const asked = outcome.retryAfterMs;
  const random = ctx.rt.random();
  if (!ctx.submit) return retryDelay(n, ctx.policy, random, asked);
  if (deadlineAt === undefined) {
    const maxMs = ctx.policy.maxRetryAfterMs;
    if (asked !== undefined && asked > maxMs)
      throw notWaited(outcome.error, asked, `the ${seconds(maxMs)} a submit waits`);
    return retryDelay(n, ctx.policy, random, asked);
  }
  const leftMs = Math.max(0, deadlineAt - ctx.rt.monotonic());
  if (asked !== undefined && asked > leftMs) {
    throw notWaited(outcome.error, asked, `the ${seconds(leftMs)} left before the request's deadline`);
  }
  const delayMs = retryDelay(n, { ...ctx.policy, maxRetryAfterMs: leftMs }, random, asked);
  if (delayMs > leftMs) throw outcome.error;
  return delayMs;
}

type Refusal = Extract<AttemptOutcome<unknown>, { ok: false }>;

/**
 * A refused submit whose server asks for a longer wait (`Retry-After`) than it may wait (`bound`):
 * not sent again sooner than asked (only to be refused again), nor waited for: it fails now,
 * exit 75, as refused (its status kept, so the run clears its intent).
 */
function notWaited(error: ProviderError, retryAfterMs: number, bound: string): RateLimitedError {
  const asked = seconds(retryAfterMs);
  return new RateLimitedError(
    `${error.message}; the API asks to wait ${asked} before sending it again, more than ${bound}: not sent again`,
    {
      status: error.status,
      errorCode: error.errorCode,
      jsonReply: error.jsonReply,
      requestId: error.requestId,
      cause: error,
      hint: `the API refused the request (nothing was accepted or billed); run again in ${asked} or later`,
    },
  );
}

/** A wait in whole seconds, rounded up: `90 s`. */
function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)} s`;
}
