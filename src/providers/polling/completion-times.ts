/**
 * How long a provider's requests for one model have been taking. Jobs in one run are alike
 * (same model, similar images), so once a few have finished, reads can be spent only where the
 * next one is likely to finish (schedule.ts) instead of on a blind backoff. The samples can be
 * saved and loaded (learned-file.ts), so a new run starts informed.
 */

/** Recent samples kept: enough for the quantiles, few enough to follow a change of load. */
export const WINDOW = 20;
/** Below this many samples the spread is not known: the blind backoff is used. */
const MIN_SAMPLES = 3;

export class CompletionTimes {
  readonly #samples: number[] = [];

  constructor(samples: readonly number[] = []) {
    for (const ms of samples.slice(-WINDOW)) this.recordDuration(ms);
  }

  /** A request took `ms` from submit to finish (as the service measured it). */
  recordDuration(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#samples.push(ms);
    if (this.#samples.length > WINDOW) this.#samples.shift();
  }

  /**
   * A request was seen finished at `doneMs` (after its wait began), and still running at
   * `lastNotDoneMs`. The finish is taken as the middle of that bracket, but the bracket is never
   * wider than `maxBracketMs`: a first read often follows a long silent stretch, and its middle
   * would drag the expectation far too early.
   */
  record(lastNotDoneMs: number, doneMs: number, maxBracketMs = Infinity): void {
    const lo = Math.max(lastNotDoneMs, doneMs - Math.max(0, maxBracketMs));
    this.recordDuration((Math.min(lo, doneMs) + doneMs) / 2);
  }

  /** The recent samples, ascending, once there are enough to trust; else `null`. */
  sorted(): readonly number[] | null {
    if (this.#samples.length < MIN_SAMPLES) return null;
    return [...this.#samples].sort((a, b) => a - b);
  }

  /** The recent samples in arrival order (what learned-file.ts saves). */
  snapshot(): readonly number[] {
    return [...this.#samples];
  }
}

/** The `p` quantile (0..1) of ascending `sorted`, interpolated between neighbours. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const at = Math.min(Math.max(p, 0), 1) * (sorted.length - 1);
  const i = Math.floor(at);
  const a = sorted[i] ?? 0;
  const b = sorted[Math.min(i + 1, sorted.length - 1)] ?? a;
  return a + (b - a) * (at - i);
}
