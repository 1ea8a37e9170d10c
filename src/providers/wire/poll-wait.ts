/**
 * The wait loop of the BFL and fal.ai clients: read the request's state on a schedule until it
 * is done, report progress, hold the first read back until the journal write settles, and on
 * the deadline cancel (where the API can) and throw exit 75. The schedule is a small interface
 * ({@link PollSchedule}); today it is RunComfy's learned completion times (completion-times.ts):
 * once a few requests of this client have finished, reads aim at where the next is expected
 * to finish.
 */
import type { Runtime } from '../../runtime.js';
import type { PollPolicy } from '../polling/backoff.js';
import { CompletionTimes } from '../polling/completion-times.js';
import { DEFAULT_MAX_GAP_MS, planRead } from '../polling/schedule.js';
import { DeadlineExceededError } from '../runcomfy/errors.js';
import { pause } from '../runcomfy/retry-loop.js';
import type { RemoteState, WaitOptions } from '../types.js';

/** When to read next, and what finished requests teach it. */
export interface PollSchedule {
  /** Wait before read number `attempt` (0 = the first), `elapsedMs` after the submit. */
  delayBefore(attempt: number, elapsedMs: number): number;
  /** A request of this client took `ms` from submit to finish. */
  learn(ms: number): void;
}

/** Reads never come closer together than this (RunComfy's wait.ts uses the same floor). */
const MIN_POLL_STEP_MS = 5;

/** The policy's backoff until a few requests have finished, then reads aimed at the learned finish. */
export function learnedSchedule(policy: PollPolicy): PollSchedule {
  const learned = new CompletionTimes();
  return {
    delayBefore: (attempt, elapsedMs) =>
      planRead(attempt, elapsedMs, learned.sorted(), {
        policy,
        minStepMs: MIN_POLL_STEP_MS,
        maxGapMs: DEFAULT_MAX_GAP_MS,
      }).delayMs,
    learn: (ms) => learned.recordDuration(ms),
  };
}

/** One read of the request's state. Failures are thrown as typed errors by the reader. */
export type PollRead<T> =
  | { readonly phase: 'queued'; readonly position?: number | undefined }
  | { readonly phase: 'running' }
  | { readonly phase: 'done'; readonly value: T; readonly tookMs?: number | undefined };

export interface PollContext {
  readonly rt: Runtime;
  readonly schedule: PollSchedule;
  readonly defaultDeadlineMs: number;
  readonly label: string;
  readonly secrets: readonly string[];
}

const CANCEL_WORDS = {
  cancelled: 'it was cancelled',
  not_cancellable: 'it could not be cancelled and may still be billed',
  failed: 'cancelling it failed',
} as const;

export async function pollUntilDone<T>(
  ctx: PollContext,
  requestId: string,
  read: (signal: AbortSignal | undefined) => Promise<PollRead<T>>,
  cancel: () => Promise<'cancelled' | 'not_cancellable'>,
  options: WaitOptions = {},
): Promise<T> {
  const { rt } = ctx;
  const deadlineMs = options.deadlineMs ?? ctx.defaultDeadlineMs;
  const deadlineAt = rt.now() + deadlineMs;
  const began = Math.min(rt.now(), options.submittedAt ?? Infinity);
  const report = stateReporter(options.onState);
  options.firstPollAfter?.catch(() => undefined); // handled: awaited before the first read
  let lastNotDone = 0;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineAt - rt.now();
    if (remaining <= 0) return timeout(ctx, requestId, deadlineMs, cancel);
    await pause(rt, Math.min(ctx.schedule.delayBefore(attempt, rt.now() - began), remaining), options.signal);
    if (attempt === 0) await options.firstPollAfter;
    const askedAt = rt.now() - began;
    const state = await read(options.signal);
    if (state.phase === 'done') {
      ctx.schedule.learn(state.tookMs ?? (lastNotDone + askedAt) / 2);
      return state.value;
    }
    lastNotDone = askedAt;
    report(state.phase === 'queued' ? { phase: 'queued', position: state.position } : { phase: 'running' });
  }
}

async function timeout(
  ctx: PollContext,
  requestId: string,
  deadlineMs: number,
  cancel: () => Promise<'cancelled' | 'not_cancellable'>,
): Promise<never> {
  let outcome: 'cancelled' | 'not_cancellable' | 'failed';
  try {
    outcome = await cancel();
  } catch {
    outcome = 'failed';
  }
  throw new DeadlineExceededError(
    `${ctx.label} request ${requestId} did not finish within ${Math.round(deadlineMs / 1000)} s; ${CANCEL_WORDS[outcome]}`,
    { requestId, cancelOutcome: outcome, secrets: ctx.secrets },
  );
}

/** Call `onState` only when the state changes. */
function stateReporter(onState: ((state: RemoteState) => void) | undefined): (state: RemoteState) => void {
  let last = '';
  return (state) => {
    const key = JSON.stringify(state);
    if (key === last || !onState) return;
    last = key;
    onState(state);
  };
}
