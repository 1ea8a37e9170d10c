import { describe, expect, it } from 'vitest';
import { CompletionTimes, learnedPollDelay } from '../../../src/providers/runcomfy/completion-times.js';

describe('CompletionTimes', () => {
  it('knows nothing until three requests finished, then gives the median of recent midpoints', () => {
    const t = new CompletionTimes();
    t.record(900, 1100); // finished between 0.9 s and 1.1 s → 1.0 s
    t.record(1900, 2100);
    expect(t.expectedMs()).toBeNull();
    t.record(2900, 3100);
    expect(t.expectedMs()).toBe(2000);
  });

  it('forgets old samples (a window of 20)', () => {
    const t = new CompletionTimes();
    for (let i = 0; i < 20; i++) t.record(100, 100);
    for (let i = 0; i < 20; i++) t.record(5000, 5000);
    expect(t.expectedMs()).toBe(5000);
  });
});

describe('learnedPollDelay', () => {
  it.each([
    // [policy delay, elapsed, expected, → delay]
    [500, 0, null, 500], // nothing learned: the plain policy
    [500, 0, 200, 200], // aim at the expected finish
    [500, 195, 200, 10], // never closer than the minimum step
    [3000, 9000, 10000, 1000], // pulled in to land at 10 s
    [500, 0, 10000, 500], // the policy's earlier poll stays
    [5000, 10500, 10000, 1000], // just past it: every 10 % of the expectation
    [5000, 25000, 10000, 5000], // long past (2×): back to the plain backoff
  ])('policy %i ms at %i ms, expected %s → %i ms', (policy, elapsed, expected, want) => {
    expect(learnedPollDelay(policy, elapsed, expected, 10)).toBe(want);
  });
});
