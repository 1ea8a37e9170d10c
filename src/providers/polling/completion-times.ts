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

/**
 * A lone aimed read that comes too early costs a round trip and a late read after it; aiming a
 * little late costs only the lateness. So the lag is raised by a step on each early read and
 * lowered by a ninth of one on each read that found the request done: it settles where about
 * one lone read in ten is early.
 */
const EARLY_SHARE_STEPS = 9;

export class CompletionTimes {
  readonly #samples: number[] = [];
  /** Added to the samples where a lone read is aimed ({@link noteLoneRead}), ms. */
  #lag = 0;

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

  /**
   * The samples to aim reads at, ascending, plus the learned lag; `null` until there are enough.
   * A service's own duration (`tookMs`) starts when it took the request and ends by its clock;
   * the read that sees the end leaves here later by the way there and back, and by how late
   * this process's timers fire when it is busy. When the samples are so close together that one
   * read is aimed at all of them (schedule.ts), whether it came too early says how much later
   * to aim.
   */
  aimedAt(): readonly number[] | null {
    const sorted = this.sorted();
    return sorted === null || this.#lag === 0 ? sorted : sorted.map((ms) => ms + this.#lag);
  }

  /** The one read aimed at the learned finish found the request done, or not yet (`early`). */
  noteLoneRead(early: boolean): void {
    const sorted = this.sorted();
    if (sorted === null) return;
    const typical = quantile(sorted, 0.5);
    // A step of 0.5 % of a typical job (1 ms at 200 ms, 50 ms at 10 s), never more than a quarter of one.
    const step = Math.max(0.5, typical * 0.005);
    this.#lag = early ? Math.min(typical / 4, this.#lag + step) : Math.max(0, this.#lag - step / EARLY_SHARE_STEPS);
  }

  /** The lag learned so far, ms. */
  get lag(): number {
    return this.#lag;
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
