/**
 * How long this client's requests have been taking. Jobs in one run are alike (same model,
 * similar images), so once a few have finished, polls can land where the next one is expected
 * to finish instead of on a blind backoff: fewer requests and less detection delay.
 */
import { nextPollDelay, type PollPolicy } from './poll.js';

const WINDOW = 20;
const MIN_SAMPLES = 3;
/**
 * Result reads climb a ladder: where a tenth, a quarter, half and three quarters of recent
 * requests had finished. Rungs closer together than the minimum poll step merge into the later
 * one, so a tight spread (the emulator's 200 ms ± a few) gets one read just past most finishes,
 * and a wide one (±25 %) reads along the spread. Aiming early is cheap: a miss costs one more
 * read a step later, while a read aimed late delays every request (scheduler bench, A/B).
 */
const RUNGS = [0.1, 0.25, 0.5, 0.75];
/**
 * Past the ladder, polls come at most this share of the aim apart (and no further apart than the ladder's spread),
 * until twice the aim.
 */
const LATE_STEP = 0.1;
/**
 * The early look at the queue is for the person watching; a job expected to finish within a
 * second has nothing to show in between, so it gets none (one request fewer per job).
 */
const EARLY_LOOK_MIN_MS = 1_000;

/** Where recent requests finished, counted from their submit. */
export interface Expectation {
  /** Where result reads go, ascending (see RUNGS); the first is the aim. */
  readonly rungs: readonly number[];
}

export class CompletionTimes {
  readonly #samples: number[] = [];

  /**
   * A request was seen finished at `doneMs` (after its wait began), and still running at
   * `lastNotDoneMs`. The finish is taken as the middle of that bracket, but never wider than
   * one late step: a poll aimed at the expected finish often follows a long silent stretch,
   * and the stretch's middle would drag the expectation far too early.
   */
  record(lastNotDoneMs: number, doneMs: number, minStepMs = 0): void {
    const aim = this.expected()?.rungs[0] ?? null;
    const lo = aim === null ? lastNotDoneMs : Math.max(lastNotDoneMs, doneMs - Math.max(minStepMs, aim * LATE_STEP));
    this.recordDuration((lo + doneMs) / 2);
  }

  /** A request took `ms` from submit to finish (as the service measured it). */
  recordDuration(ms: number): void {
    this.#samples.push(ms);
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  /** Where recent requests finished, once there are enough to trust; else `null`. */
  expected(minStepMs = 0): Expectation | null {
    if (this.#samples.length < MIN_SAMPLES) return null;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = RUNGS.map((q) => sorted[Math.floor((sorted.length - 1) * q)] ?? 0);
    const rungs = at.filter(
      (ms, i) => i === at.length - 1 || (at[i + 1] ?? ms) - ms >= Math.max(minStepMs, Number.MIN_VALUE),
    );
    return { rungs };
  }
}

export interface PollPlan {
  /** Wait this long before the next poll. */
  readonly delayMs: number;
  /**
   * The poll is aimed at (or after) the expected finish: ask for the result directly, which
   * carries the state too (docs/architecture.md#the-runcomfy-api), so a finished request costs one request, not two.
   */
  readonly readResult: boolean;
}

/**
 * When to poll next. With nothing learned: the policy's backoff. With an expectation: the
 * policy's first poll (an early look at the queue, for jobs expected to take a second or
 * more), then status polls no closer than half the aim (at most the policy's largest interval)
 * until a result read lands on the aim; after a miss, reads up the ladder's rungs, then
 * every 10 % of the aim (at most the policy's largest interval) until twice the aim has passed
 * (then the plain backoff again). Polls are never closer than `minStepMs`.
 */
export function planPoll(
  attempt: number,
  elapsedMs: number,
  policy: PollPolicy,
  expected: Expectation | null,
  minStepMs: number,
): PollPlan {
  const policyDelay = nextPollDelay(attempt, policy);
  const aimMs = expected?.rungs[0];
  if (!expected || aimMs === undefined) return { delayMs: policyDelay, readResult: false };
  const untilAim = aimMs - elapsedMs;
  if (untilAim > 0) {
    const first = attempt === 0 && aimMs >= EARLY_LOOK_MIN_MS ? policyDelay : Infinity;
    const step = Math.max(policyDelay, Math.min(aimMs / 2, policy.maxDelayMs));
    if (first < untilAim && first <= step) return { delayMs: Math.max(minStepMs, first), readResult: false };
    if (untilAim <= 2 * step) return { delayMs: Math.max(minStepMs, untilAim), readResult: true };
    return { delayMs: Math.max(minStepMs, step), readResult: false };
  }
  // Past the ladder the job is late: read again soon, the sooner the tighter recent finishes were.
  const spread = (expected.rungs[expected.rungs.length - 1] ?? aimMs) - aimMs;
  const lateStep = Math.min(policy.maxDelayMs, aimMs * LATE_STEP, Math.max(minStepMs, spread));
  const nextRung = expected.rungs.find((ms) => ms > elapsedMs);
  if (nextRung !== undefined) {
    // Up the ladder; a far rung (a slow outlier) is approached in late steps.
    const gap = nextRung - elapsedMs;
    return { delayMs: Math.max(minStepMs, gap <= 1.5 * lateStep ? gap : lateStep), readResult: true };
  }
  if (elapsedMs < 2 * aimMs) return { delayMs: Math.max(minStepMs, lateStep), readResult: true };
  return { delayMs: policyDelay, readResult: false };
}
