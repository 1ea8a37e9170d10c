/**
 * The one wait loop every provider client uses: pause as the schedule says, read, report the
 * state, learn how long the request took, enforce the overall deadline. What a read is (a status
 * or result GET, a prediction GET) and how a finished or failed reply is read stay with each
 * provider, in its `read` callback; this loop only does the timing.
 */
import { InterruptedError } from '../../errors.js';
import type { Runtime } from '../../runtime.js';
import type { RemoteState } from '../types.js';
import type { CompletionTimes } from './completion-times.js';
import { planRead, type ScheduleOptions } from './schedule.js';

/** What one read found. */
export interface ReadOutcome<T> {
  /** Set when the request finished with outputs (a failure is thrown by `read`). */
  readonly done?: T | undefined;
  /** Progress to report when not done. */
  readonly state?: RemoteState | undefined;
  /** When done: the request's duration as the service measured it (better than our bracket). */
  readonly tookMs?: number | null | undefined;
}

export interface PollLoopOptions<T> {
  readonly rt: Runtime;
  readonly schedule: ScheduleOptions;
  /** Shared by every wait of one client (and saved between runs): where reads are aimed. */
  readonly learned?: CompletionTimes | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Overall deadline, ms from the start of this wait, less `deadlineUsedMs`. */
  readonly deadlineMs: number;
  /** How much of the deadline earlier waits already spent (ms; default 0). */
  readonly deadlineUsedMs?: number | undefined;
  /** When the request was sent, on `rt.monotonic()` (default: now); the schedule counts from here. */
  readonly submittedAt?: number | undefined;
  /** No read before this settles; if it rejects, the wait rejects with its error. */
  readonly firstPollAfter?: Promise<unknown> | undefined;
  readonly onState?: ((state: RemoteState) => void) | undefined;
  /**
   * One read; `aimed` when the schedule aims it at the expected finish. Throws typed errors.
   * Its calls must use `signal` (the caller's, plus the deadline), not the caller's alone.
   */
  read(aimed: boolean, signal: AbortSignal): Promise<ReadOutcome<T>>;
  /** The deadline passed, and one last read did not find the request done: cancel if possible and throw. */
  onDeadline(): Promise<never>;
}

/**
 * Read until `read` reports done (or throws), or the deadline passes. A read still in flight at
 * the deadline is abandoned: a server that holds a reply open (or drips it, or keeps failing so
 * the read retries) must not stretch the deadline beyond one last read, bounded ({@link lastRead}).
 */
export async function pollUntil<T>(o: PollLoopOptions<T>): Promise<T> {
  const { rt, signal } = o;
  const deadlineAt = rt.monotonic() + remainingOf(o.deadlineMs, o.deadlineUsedMs);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DeadlineReached()), Math.max(0, deadlineAt - rt.monotonic()));
  timer.unref();
  const readSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
  try {
    return await loop(o, deadlineAt, readSignal);
  } catch (e) {
    // Once, from here only: the loop's own check and the timer may both see the deadline.
    if (!(e instanceof DeadlineReached || deadline.signal.aborted) || signal?.aborted) throw e;
    clearTimeout(timer);
    const seen = await lastRead(o);
    return seen ? seen.done : o.onDeadline();
  } finally {
    clearTimeout(timer);
  }
}

/** What a last read may take: a tenth of the deadline, 1 s to 30 s. */
const LAST_READ_SHARE = 10;
const LAST_READ_MIN_MS = 1_000;
const LAST_READ_MAX_MS = 30_000;

/**
 * The deadline passed: one more read, bounded, before the client cancels. The request may have
 * finished since the last read, between two reads or while the process was stopped or asleep: a
 * process woken long past its deadline runs the deadline's timer at once, which abandoned the
 * read under way and failed (and cancelled) requests finished long before (walk-ac 2). Done:
 * returned as a poll would; a typed error of the read (failed remotely) thrown as a poll's;
 * not done, or no answer within the bound: `undefined`, the deadline stands.
 */
async function lastRead<T>(o: PollLoopOptions<T>): Promise<{ readonly done: T } | undefined> {
  const boundMs = Math.min(LAST_READ_MAX_MS, Math.max(LAST_READ_MIN_MS, o.deadlineMs / LAST_READ_SHARE));
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(new DeadlineReached()), boundMs);
  timer.unref();
  const signal = o.signal ? AbortSignal.any([o.signal, bound.signal]) : bound.signal;
  try {
    const outcome = await o.read(true, signal);
    if (outcome.done === undefined) return undefined;
    if (typeof outcome.tookMs === 'number') o.learned?.recordDuration(outcome.tookMs);
    return { done: outcome.done };
  } catch (e) {
    if (bound.signal.aborted && !o.signal?.aborted) return undefined;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The reason a read is aborted at the deadline (never surfaces: `onDeadline` throws instead). */
class DeadlineReached extends Error {
  constructor() {
    super('the overall deadline passed');
  }
}

async function loop<T>(o: PollLoopOptions<T>, deadlineAt: number, readSignal: AbortSignal): Promise<T> {
  const { rt, signal } = o;
  const began = Math.min(rt.monotonic(), o.submittedAt ?? Infinity);
  const report = stateReporter(o.onState);
  o.firstPollAfter?.catch(() => undefined); // handled: awaited before the first read
  let lastNotDone = 0;
  for (let attempt = 0; ; attempt++) {
    const remaining = deadlineAt - rt.monotonic();
    if (remaining <= 0) throw new DeadlineReached();
    const plan = planRead(attempt, rt.monotonic() - began, o.learned?.sorted() ?? null, o.schedule);
    await pause(rt, Math.min(plan.delayMs, remaining), signal);
    if (attempt === 0) await o.firstPollAfter;
    const askedAt = rt.monotonic() - began;
    const outcome = await o.read(plan.aimed, readSignal);
    if (outcome.done !== undefined) {
      if (typeof outcome.tookMs === 'number') o.learned?.recordDuration(outcome.tookMs);
      else o.learned?.record(lastNotDone, askedAt, o.schedule.maxGapMs);
      return outcome.done;
    }
    lastNotDone = askedAt;
    if (outcome.state) report(outcome.state);
  }
}

/** What is left of a deadline of `deadlineMs` once `usedMs` of it is spent (never more than the whole). */
export function remainingOf(deadlineMs: number, usedMs: number | undefined): number {
  const used = usedMs !== undefined && Number.isFinite(usedMs) ? Math.max(0, usedMs) : 0;
  return Math.max(0, deadlineMs - used);
}

/** `rt.sleep`, an abort surfacing as the signal's reason (or an interruption). */
async function pause(rt: Runtime, ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await rt.sleep(ms, signal);
  } catch (e) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
    throw e;
  }
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

/** Duration between two ISO timestamps of a reply, ms; `null` unless both parse and are ordered. */
export function isoDuration(from: unknown, to: unknown): number | null {
  const a = typeof from === 'string' ? Date.parse(from) : Number.NaN;
  const b = typeof to === 'string' ? Date.parse(to) : Number.NaN;
  const took = b - a;
  return Number.isFinite(took) && took >= 0 ? took : null;
}
