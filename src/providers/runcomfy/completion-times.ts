/**
 * How long this client's requests have been taking. Jobs in one run are alike (same model,
 * similar images), so once a few have finished, polls can land where the next one is expected
 * to finish instead of on a blind backoff: fewer status requests and less detection delay.
 */

const WINDOW = 20;
const MIN_SAMPLES = 3;

export class CompletionTimes {
  readonly #samples: number[] = [];

  /** A request finished between `lastNotDoneMs` and `doneMs` after its wait began. */
  record(lastNotDoneMs: number, doneMs: number): void {
    this.#samples.push((lastNotDoneMs + doneMs) / 2);
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  /** The median of recent completions, once there are enough to trust; else `null`. */
  expectedMs(): number | null {
    if (this.#samples.length < MIN_SAMPLES) return null;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? null;
  }
}

/**
 * The policy's delay, pulled in so a poll lands at the expected finish, then checks at 10 % of
 * that time until twice the expectation has passed (after that, the plain backoff again).
 */
export function learnedPollDelay(policyDelayMs: number, elapsedMs: number, expectedMs: number | null, minStepMs: number): number {
  if (expectedMs === null) return policyDelayMs;
  const untilExpected = expectedMs - elapsedMs;
  if (untilExpected > 0) return Math.min(policyDelayMs, Math.max(minStepMs, untilExpected));
  if (elapsedMs < 2 * expectedMs) return Math.min(policyDelayMs, Math.max(minStepMs, expectedMs * 0.1));
  return policyDelayMs;
}
