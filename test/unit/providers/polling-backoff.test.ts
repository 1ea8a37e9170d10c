import { describe, expect, it } from 'vitest';
import { nextPollDelay } from '../../../src/providers/polling/backoff.js';
import { DEFAULT_POLL_POLICY, resolvePollPolicy } from '../../../src/providers/runcomfy/poll.js';

describe('nextPollDelay', () => {
  it('starts at ~0.5 s and grows to a 5 s cap by default', () => {
    const delays = Array.from({ length: 10 }, (_, i) => nextPollDelay(i, DEFAULT_POLL_POLICY));
    expect(delays[0]).toBe(500);
    expect(delays[1]).toBe(650);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)).toBe(5_000);
    expect(nextPollDelay(10_000, DEFAULT_POLL_POLICY)).toBe(5_000);
  });

  it('treats negative or fractional attempts as the first', () => {
    expect(nextPollDelay(-3, DEFAULT_POLL_POLICY)).toBe(500);
    expect(nextPollDelay(0.7, DEFAULT_POLL_POLICY)).toBe(500);
  });

  it('follows a custom policy', () => {
    const p = { firstDelayMs: 10, factor: 2, maxDelayMs: 50 };
    expect([0, 1, 2, 3, 4].map((i) => nextPollDelay(i, p))).toEqual([10, 20, 40, 50, 50]);
  });

  it('resolvePollPolicy keeps the interval from shrinking', () => {
    expect(resolvePollPolicy({ factor: 0.5 }).factor).toBe(1);
    expect(resolvePollPolicy({ firstDelayMs: 5 })).toEqual({ ...DEFAULT_POLL_POLICY, firstDelayMs: 5 });
  });
});
