/**
 * When to read next, provider-neutral (docs/architecture.md#polling). A fixed 2 s poller pays
 * about T/2 requests for a T-second job and detects the finish ~1 s late on average. With the
 * finishing times of recent jobs known, this schedule spends nothing before the earliest of
 * them, then reads at equal shares of their distribution (denser where many finished), never
 * more than `maxGapMs` apart, so the mean delay stays near `maxGapMs / 2` whatever the job length,
 * and the reads cover only the spread, not the whole job. With nothing learned: the backoff.
 */
import { nextPollDelay, type PollPolicy } from './backoff.js';
import { quantile } from './completion-times.js';

export interface ReadPlan {
  /** Wait this long before the next read. */
  readonly delayMs: number;
  /**
   * The read is aimed at the expected finish: a provider whose state read can also carry the
   * result (RunComfy's result read, Replicate's prediction) should make it that one.
   */
  readonly aimed: boolean;
}

export interface ScheduleOptions {
  readonly policy: PollPolicy;
  /** Reads are never closer together than this. */
  readonly minStepMs: number;
  /** Inside the spread of learned finishes, reads are never further apart than this. */
  readonly maxGapMs: number;
}

/**
 * 0.65 s: a mean detection delay of ~0.33 s plus half a round trip, under half of a fixed 2 s
 * poll's (~1.1 s), while a spread of ±25 % around T costs about 0.43 T reads, not 0.5 T
 * (bench/poll.bench.mjs). Tighter costs more reads than fixed 2 s on short jobs; looser misses
 * the delay target on long ones when a read does not carry the result (fal).
 */
export const DEFAULT_MAX_GAP_MS = 650;

/**
 * Planned read times (ms after submit) for jobs finishing like `sorted` (ascending). The spread
 * is widened below by one sample spacing ((hi − lo) / (n − 1), where the next job's finish falls
 * below the earliest of n samples about once in n + 1). Then one read per equal share of the
 * samples (as many shares as the spread needs at `maxGapMs`): denser where many finished. Gaps
 * over `maxGapMs` are filled; reads closer than half of it (a handful of samples says little about
 * the density at that scale) or than `minStepMs` merge into the later one.
 */
export function readTimes(sorted: readonly number[], minStepMs: number, maxGapMs: number): number[] {
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? lo;
  const gap = Math.max(maxGapMs, minStepMs, 1);
  const shares = Math.max(1, Math.ceil((hi - lo) / gap));
  if (shares === 1) return [hi];
  const below = (hi - lo) / Math.max(1, sorted.length - 1);
  const planned: number[] = [];
  let last = Math.max(0, lo - below);
  planned.push(last);
  for (let k = 0; k <= shares; k++) {
    const at = k === shares ? hi : quantile(sorted, k / shares);
    while (at - last > gap) {
      last += gap;
      planned.push(last);
    }
    planned.push(at);
    last = at;
  }
  const minGap = Math.max(minStepMs, gap / 2);
  const kept: number[] = [];
  for (let i = planned.length - 1; i >= 0; i--) {
    const t = planned[i] ?? 0;
    const next = kept[kept.length - 1];
    if (next === undefined || next - t >= minGap) kept.push(t);
  }
  return kept.reverse();
}

/**
 * The next read for a wait `elapsedMs` in, after `attempt` reads. `sorted`: learned finishing
 * times (ascending), or `null` when too few are known. Past the last planned read the job is
 * late: reads go on every half `maxGapMs` to `maxGapMs` (the learned spread; never denser than
 * the densest reads inside it), or at the blind backoff's pace where the policy reads faster than
 * that (a test's), until twice the slowest finish, then the blind backoff resumes. A late gap cut
 * to a share of the learned times alone read a 0.84 s job that ran late every 42 ms: ~24 requests
 * a second per job, where fal's FAQ allows 10 a second per user and Replicate 1 a second without a
 * payment method, for a detection a little sooner on a job already late. The emulator's max gap
 * (20 ms) keeps its late reads ~10 ms apart: the scheduler bench's slots wait on them.
 */
export function planRead(
  attempt: number,
  elapsedMs: number,
  sorted: readonly number[] | null,
  options: ScheduleOptions,
): ReadPlan {
  const { policy, minStepMs, maxGapMs } = options;
  if (!sorted || sorted.length === 0)
    return { delayMs: Math.max(minStepMs, nextPollDelay(attempt, policy)), aimed: false };
  const next = readTimes(sorted, minStepMs, maxGapMs).find((t) => t > elapsedMs);
  if (next !== undefined) return { delayMs: Math.max(minStepMs, next - elapsedMs), aimed: true };
  const lo = sorted[0] ?? 0;
  const hi = sorted[sorted.length - 1] ?? lo;
  // As dense as the densest reads inside the spread (half the max gap), no denser; wider spreads
  // up to the max gap itself.
  const lateGap = Math.min(maxGapMs, Math.max(hi - lo, hi * 0.05, maxGapMs / 2));
  const late = Math.min(lateGap, nextPollDelay(attempt, policy));
  if (elapsedMs < 2 * hi) return { delayMs: Math.max(minStepMs, late), aimed: true };
  return { delayMs: Math.max(minStepMs, nextPollDelay(attempt, policy)), aimed: false };
}
