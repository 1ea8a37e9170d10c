import { describe, expect, it } from 'vitest';
import { CompletionTimes, planPoll } from '../../../src/providers/runcomfy/completion-times.js';
import type { PollPolicy } from '../../../src/providers/runcomfy/poll.js';

describe('CompletionTimes', () => {
  it('knows nothing until three requests finished, then an early quantile (35th percentile) of recent midpoints', () => {
    const t = new CompletionTimes();
    t.record(900, 1100); // finished between 0.9 s and 1.1 s → 1.0 s
    t.record(1900, 2100);
    expect(t.expectedMs()).toBeNull();
    t.record(2900, 3100);
    expect(t.expectedMs()).toBe(2000);
    t.record(3900, 4100);
    t.record(4900, 5100);
    expect(t.expectedMs()).toBe(2000); // 1, 2, 3, 4, 5 s → the second
  });

  it('takes durations measured by the service as they are (no poll lateness in them)', () => {
    const t = new CompletionTimes();
    for (const ms of [210, 200, 205, 400, 199]) t.recordDuration(ms);
    expect(t.expectedMs()).toBe(200); // 199, 200, 205, 210, 400 → the second
  });

  it('forgets old samples (a window of 20)', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 20; i++) t.record(100, 100);
    for (let i = 0; i < 20; i++) t.record(5000, 5000);
    expect(t.expectedMs()).toBe(5000);
  });

  it('narrows a wide bracket to one late step once it has an expectation', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 3; i++) t.record(1900, 2100); // expects 2000
    // Seen done at 2000 after a silent stretch from 500: not 1250, but within 10 % before 2000.
    t.record(500, 2000);
    t.record(500, 2000);
    t.record(500, 2000);
    t.record(500, 2000);
    const e = t.expectedMs() ?? 0;
    expect(e).toBeGreaterThanOrEqual(1800);
    expect(e).toBeLessThan(2000);
  });

  it('with nothing learned, a wide bracket counts by its middle (the only fair guess)', () => {
    const t = new CompletionTimes();
    t.record(0, 1000);
    t.record(0, 1000);
    t.record(0, 1000);
    expect(t.expectedMs()).toBe(500);
  });
});

const real: PollPolicy = { firstDelayMs: 500, factor: 1.3, maxDelayMs: 5000 };
const emulator: PollPolicy = { firstDelayMs: 50, factor: 1.3, maxDelayMs: 250 };

/** Poll times (ms after the wait began) and which were result reads, until `doneMs`. */
function schedule(policy: PollPolicy, expected: number | null, doneMs: number): { at: number; result: boolean }[] {
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

  it('10 s jobs: an early look at the queue, then one result read at the expected finish', () => {
    expect(schedule(real, 10_000, 10_000)).toEqual([
      { at: 500, result: false },
      { at: 10_000, result: true },
    ]);
  });

  it('60 s jobs: state refreshed every 5 s (the policy cap) until the last stretch', () => {
    const polls = schedule(real, 60_000, 60_000);
    expect(polls.at(-1)).toEqual({ at: 60_000, result: true });
    expect(polls.slice(0, -1).every((p) => !p.result)).toBe(true);
    const gaps = polls.slice(1).map((p, i) => p.at - (polls[i]?.at ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(10_000);
    expect(polls.length).toBeLessThan(15);
  });

  it('late jobs: result reads every 10 % of the expectation, then the backoff after 2×', () => {
    const polls = schedule(emulator, 200, 300);
    expect(polls).toEqual([
      // no early look: a 0.2 s job has nothing to show before it finishes
      { at: 200, result: true },
      { at: 220, result: true },
      { at: 240, result: true },
      { at: 260, result: true },
      { at: 280, result: true },
      { at: 300, result: true },
    ]);
    const after = planPoll(9, 450, emulator, 200, 10);
    expect(after).toEqual({ delayMs: 250, readResult: false });
  });

  it('never polls closer than the minimum step', () => {
    expect(planPoll(3, 199, emulator, 200, 10).delayMs).toBe(10);
    expect(planPoll(0, 0, { firstDelayMs: 0, factor: 1, maxDelayMs: 0 }, 5, 10).delayMs).toBe(10);
  });
});
