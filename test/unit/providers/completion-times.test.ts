import { describe, expect, it } from 'vitest';
import { CompletionTimes, planPoll, type Expectation } from '../../../src/providers/runcomfy/completion-times.js';
import type { PollPolicy } from '../../../src/providers/runcomfy/poll.js';

const rungsOf = (t: CompletionTimes, minStep = 0): readonly number[] | undefined => t.expected(minStep)?.rungs;

describe('CompletionTimes', () => {
  it('knows nothing until three requests finished, then gives a ladder of quantiles', () => {
    const t = new CompletionTimes();
    t.record(900, 1100); // finished between 0.9 s and 1.1 s → 1.0 s
    t.record(1900, 2100);
    expect(t.expected()).toBeNull();
    t.record(2900, 3100);
    expect(rungsOf(t)).toEqual([1000, 2000]);
    for (const ms of [4000, 5000]) t.recordDuration(ms);
    expect(rungsOf(t)).toEqual([1000, 2000, 3000, 4000]); // the 10th, 25th, 50th and 75th percentiles
  });

  it('merges rungs closer than the minimum step into the later one', () => {
    const t = new CompletionTimes();
    for (const ms of [200, 201, 202, 203, 205, 204, 201, 202, 203, 208]) t.recordDuration(ms);
    expect(rungsOf(t, 10)).toEqual([203]);
    expect(rungsOf(t, 0)).toEqual([200, 201, 202, 203]);
  });

  it('takes durations measured by the service as they are (no poll lateness in them)', () => {
    const t = new CompletionTimes();
    for (const ms of [210, 200, 205, 400, 199]) t.recordDuration(ms);
    expect(rungsOf(t)).toEqual([199, 200, 205, 210]); // sorted: 199, 200, 205, 210, 400
  });

  it('forgets old samples (a window of 20)', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 20; i++) t.record(100, 100);
    for (let i = 0; i < 20; i++) t.record(5000, 5000);
    expect(rungsOf(t)).toEqual([5000]);
  });

  it('narrows a wide bracket to one late step once it has an expectation', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 3; i++) t.record(1900, 2100); // expects 2000
    // Seen done at 2000 after a silent stretch from 500: not 1250, but within 10 % before 2000.
    for (let i = 0; i < 4; i++) t.record(500, 2000);
    const aim = rungsOf(t)?.[0] ?? 0;
    expect(aim).toBeGreaterThanOrEqual(1800);
    expect(aim).toBeLessThanOrEqual(2000);
  });

  it('with nothing learned, a wide bracket counts by its middle (the only fair guess)', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 3; i++) t.record(0, 1000);
    expect(rungsOf(t)?.[0]).toBe(500);
  });
});

const real: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5000 };
const emulator: PollPolicy = { firstDelayMs: 20, factor: 1.15, maxDelayMs: 250 };
const at = (...rungs: number[]): Expectation => ({ rungs });

/** Poll times (ms after submit) and which were result reads, until `doneMs`. */
function schedule(policy: PollPolicy, expected: Expectation | null, doneMs: number): { at: number; result: boolean }[] {
  const polls: { at: number; result: boolean }[] = [];
  let t = 0;
  for (let attempt = 0; attempt < 100; attempt++) {
    const p = planPoll(attempt, t, policy, expected, 10);
    t += p.delayMs;
    polls.push({ at: Math.round(t), result: p.readResult });
    if (t >= doneMs) break;
  }
  return polls;
}

describe('planPoll', () => {
  it('with nothing learned follows the policy backoff and only reads status', () => {
    expect(schedule(real, null, 3000)).toEqual([
      { at: 500, result: false },
      { at: 1150, result: false },
      { at: 1995, result: false },
      { at: 3094, result: false },
    ]);
  });

  it('10 s jobs: an early look at the queue, then result reads up the ladder', () => {
    expect(schedule(real, at(9000, 10_000, 11_000, 12_000), 12_000)).toEqual([
      { at: 500, result: false },
      { at: 9000, result: true },
      { at: 10_000, result: true },
      { at: 11_000, result: true },
      { at: 12_000, result: true },
    ]);
  });

  it('60 s jobs: state refreshed every 5 s (the policy cap) until the last stretch', () => {
    const polls = schedule(real, at(60_000), 60_000);
    expect(polls.at(-1)).toEqual({ at: 60_000, result: true });
    expect(polls.slice(0, -1).every((p) => !p.result)).toBe(true);
    const gaps = polls.slice(1).map((p, i) => p.at - (polls[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    expect(polls.length).toBeLessThan(15);
  });

  it('short jobs with a tight spread: one read, then every minimum step; the backoff after 2×', () => {
    expect(schedule(emulator, at(205), 240)).toEqual([
      // no early look: a 0.2 s job has nothing to show before it finishes
      { at: 205, result: true },
      { at: 215, result: true },
      { at: 225, result: true },
      { at: 235, result: true },
      { at: 245, result: true },
    ]);
    expect(planPoll(9, 450, emulator, at(205), 10)).toEqual({ delayMs: 70, readResult: false }); // 20 × 1.15^9
  });

  it('a far rung (a slow outlier) is approached in steps of 10 % of the aim', () => {
    const polls = schedule(real, at(8000, 9000, 20_000), 11_000);
    expect(polls.slice(1).map((p) => p.at)).toEqual([8000, 9000, 9800, 10_600, 11_400]);
  });

  it('past a wide ladder: every 10 % of the aim', () => {
    const polls = schedule(real, at(8000, 12_000), 14_000);
    expect(polls.slice(1).map((p) => p.at)).toEqual([8000, 8800, 9600, 10_400, 11_200, 12_000, 12_800, 13_600, 14_400]);
  });

  it('never polls closer than the minimum step', () => {
    expect(planPoll(3, 199, emulator, at(200), 10).delayMs).toBe(10);
    expect(planPoll(0, 0, { firstDelayMs: 0, factor: 1, maxDelayMs: 0 }, at(5), 10).delayMs).toBe(10);
  });
});
