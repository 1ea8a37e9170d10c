import { describe, expect, it } from 'vitest';
import type { PollPolicy } from '../../../src/providers/polling/backoff.js';
import { CompletionTimes, quantile } from '../../../src/providers/polling/completion-times.js';
import { planRead, readTimes, type ScheduleOptions } from '../../../src/providers/polling/schedule.js';

describe('CompletionTimes', () => {
  it('knows nothing until three requests finished, then gives the samples sorted', () => {
    const t = new CompletionTimes();
    t.record(900, 1100); // finished between 0.9 s and 1.1 s → 1.0 s
    t.record(2900, 3100);
    expect(t.sorted()).toBeNull();
    t.record(1900, 2100);
    expect(t.sorted()).toEqual([1000, 2000, 3000]);
  });

  it('forgets old samples (a window of 20) and ignores nonsense', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 20; i++) t.recordDuration(100);
    for (let i = 0; i < 20; i++) t.recordDuration(5000);
    t.recordDuration(Number.NaN);
    t.recordDuration(-1);
    expect(new Set(t.sorted())).toEqual(new Set([5000]));
    expect(t.snapshot()).toHaveLength(20);
  });

  it('narrows a wide bracket to the given width before the first read (a long silent stretch)', () => {
    const t = new CompletionTimes();
    t.record(500, 2000, 200); // not 1250: within 200 ms before 2000
    t.record(0, 1000); // no bound: the middle, the only fair guess
    t.record(3000, 2000, 100); // a bracket the wrong way round counts as the finish itself
    expect(t.sorted()).toEqual([500, 1900, 2000]);
  });

  it('starts from saved samples (the last 20)', () => {
    const t = new CompletionTimes(Array.from({ length: 30 }, (_, i) => i));
    expect(t.snapshot()).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
  });

  it('quantile interpolates between neighbours', () => {
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([1, 2, 3], 1)).toBe(3);
    expect(quantile([], 0.5)).toBe(0);
  });
});

const real: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5000 };
const opts = (policy: PollPolicy, maxGapMs = 700, minStepMs = 5): ScheduleOptions => ({ policy, minStepMs, maxGapMs });
const uniform = (lo: number, hi: number, n = 20): number[] =>
  Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

/** Read times (ms after submit) and whether aimed, until a read lands at or after `doneMs`. */
function schedule(o: ScheduleOptions, sorted: number[] | null, doneMs: number): { at: number; aimed: boolean }[] {
  const reads: { at: number; aimed: boolean }[] = [];
  let t = 0;
  for (let attempt = 0; attempt < 500; attempt++) {
    const p = planRead(attempt, t, sorted, o);
    t += p.delayMs;
    reads.push({ at: Math.round(t), aimed: p.aimed });
    if (t >= doneMs) break;
  }
  return reads;
}

describe('planRead', () => {
  it('with nothing learned follows the policy backoff, not aimed', () => {
    expect(schedule(opts(real), null, 3000)).toEqual([
      { at: 500, aimed: false },
      { at: 1150, aimed: false },
      { at: 1995, aimed: false },
      { at: 3094, aimed: false },
    ]);
  });

  it('spends nothing before the earliest learned finish, less one sample spacing', () => {
    const reads = schedule(opts(real), uniform(45_000, 75_000), 60_000);
    expect(reads[0]?.at).toBe(Math.round(45_000 - 30_000 / 19));
    expect(reads.every((r) => r.aimed)).toBe(true);
  });

  it('inside the spread reads are at most the max gap apart and cover it to the slowest finish', () => {
    const sorted = uniform(90_000, 150_000);
    const reads = readTimes(sorted, 5, 700);
    const gaps = reads.slice(1).map((t, i) => t - (reads[i] ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(700 + 1e-6);
    expect(reads.at(-1)).toBe(150_000);
    // A job finishing anywhere in the spread pays half of them on average: fewer than a fixed 2 s poll's T / 2.
    expect(reads.length / 2).toBeLessThan(120_000 / 2000);
  });

  it('reads are denser where more jobs finished', () => {
    // Most finish around 10 s, a few stragglers up to 20 s.
    const sorted = [...uniform(9_800, 10_200, 16), 14_000, 16_000, 18_000, 20_000].sort((a, b) => a - b);
    const reads = readTimes(sorted, 5, 700);
    const inPeak = reads.filter((t) => t >= 9_800 && t <= 10_200).length;
    const inTail = reads.filter((t) => t > 14_000 && t <= 18_000).length;
    expect(inPeak / 400).toBeGreaterThan(inTail / 4000);
  });

  it('a tight spread (the emulator) gets one read at the slowest finish, then one every half max gap', () => {
    const sorted = [190, 195, 200, 200];
    expect(schedule(opts(real, 20, 5), sorted, 225)).toEqual([
      { at: 200, aimed: true },
      { at: 210, aimed: true },
      { at: 220, aimed: true },
      { at: 230, aimed: true },
    ]);
  });

  it('a late job is read every half max gap or more, however close together the learned times are', () => {
    // 0.84 s jobs were read every 42 ms once late (a twentieth of the slowest): ~24 requests a second.
    expect(schedule(opts(real, 650), [838, 839, 840], 1600)).toEqual([
      { at: 840, aimed: true },
      { at: 1165, aimed: true },
      { at: 1490, aimed: true },
      { at: 1815, aimed: true },
    ]);
    // A wide spread: its width, up to the max gap.
    expect(planRead(9, 1000, [400, 600, 900], opts(real, 650)).delayMs).toBe(500);
    // A policy whose blind backoff reads faster (a test's) reads a late job at that pace.
    const fast: PollPolicy = { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 };
    expect(planRead(5, 35, [30, 30, 30], opts(fast, 650)).delayMs).toBe(40);
  });

  it('after twice the slowest finish the backoff resumes', () => {
    expect(planRead(9, 450, [200, 205, 210], opts(real))).toEqual({ delayMs: 5000, aimed: false });
  });

  it('never reads closer than the minimum step', () => {
    expect(planRead(3, 199.9, [200, 200, 200], opts(real, 700, 10)).delayMs).toBe(10);
    expect(readTimes([100, 101, 102, 103], 10, 700)).toEqual([103]);
  });
});
