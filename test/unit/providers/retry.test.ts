import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  resolveRetryPolicy,
  retryDelay,
  type RetryPolicy,
} from '../../../src/providers/runcomfy/retry.js';

const policy: RetryPolicy = { maxAttempts: 5, baseMs: 100, capMs: 1_000, maxRetryAfterMs: 5_000 };

describe('retryDelay (full jitter)', () => {
  it.each([
    // retry, random, expected
    [1, 0, 0],
    [1, 0.5, 50],
    [1, 0.999, 99],
    [2, 0.5, 100],
    [3, 0.5, 200],
    [4, 0.5, 400],
    [5, 0.5, 500], // 1600 capped to 1000
    [30, 0.999, 999],
    [200, 0.5, 500], // huge exponents do not overflow
  ])('retry %i with random %f waits %i ms', (retry, random, expected) => {
    expect(retryDelay(retry, policy, random)).toBe(expected);
  });

  it('honours Retry-After over jitter, clamped to the policy bound', () => {
    expect(retryDelay(1, policy, 0.9, 2_000)).toBe(2_000);
    expect(retryDelay(1, policy, 0.9, 0)).toBe(0);
    expect(retryDelay(1, policy, 0.9, 3_600_000)).toBe(5_000);
  });

  it('ignores a nonsensical Retry-After', () => {
    expect(retryDelay(2, policy, 0.5, Number.NaN)).toBe(100);
    expect(retryDelay(2, policy, 0.5, -5)).toBe(100);
  });

  it('stays inside [0, window) for any random value', () => {
    for (let i = 0; i < 100; i++) {
      const d = retryDelay(3, policy, i / 100);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(400);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['3', 3_000],
    ['0', 0],
    [' 1.5 ', 1_500],
    ['Wed, 01 Jan 2025 00:00:10 GMT', 10_000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0], // a date in the past means "now"
  ])('%j → %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([[undefined], [''], ['soon'], ['-3']])('%j → undefined', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['2', '9'], now)).toBe(2_000);
  });
});

describe('resolveRetryPolicy', () => {
  it('fills defaults and forces sane ranges', () => {
    expect(resolveRetryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(resolveRetryPolicy({ maxAttempts: 0, baseMs: -1 })).toMatchObject({ maxAttempts: 1, baseMs: 0 });
  });
});
