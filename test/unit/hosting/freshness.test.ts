import { describe, expect, it } from 'vitest';
import {
  isHostedUrlReusable,
  isRemoteUrlFresh,
  REMOTE_OUTPUT_TTL_MS,
  reuseMarginMs,
} from '../../../src/hosting/freshness.js';

const MIN = 60_000;
const T0 = 1_750_000_000_000;

describe('isRemoteUrlFresh', () => {
  it.each([
    ['just recorded', T0, T0, true],
    ['one ms before the TTL', T0, T0 + REMOTE_OUTPUT_TTL_MS - 1, true],
    ['at the TTL', T0, T0 + REMOTE_OUTPUT_TTL_MS, false],
    ['long after', T0, T0 + 3 * 60 * MIN, false],
    ['clock went backwards', T0, T0 - 1, false],
  ])('%s', (_name, recorded, now, fresh) => {
    expect(isRemoteUrlFresh(recorded, now, REMOTE_OUTPUT_TTL_MS)).toBe(fresh);
  });

  it('defaults to a conservative 10 minutes', () => {
    expect(REMOTE_OUTPUT_TTL_MS).toBe(10 * MIN);
  });
});

describe('reuse of hosted URLs', () => {
  it.each([
    [60 * MIN, 6 * MIN],
    [10 * MIN, 5 * MIN],
    [7 * 24 * 60 * MIN, 7 * 24 * 6 * MIN],
  ])('a URL living %d ms keeps a margin of %d ms', (lifetime, margin) => {
    expect(reuseMarginMs(lifetime)).toBe(margin);
  });

  it.each([
    ['never expires', null, T0 + 1e12, true],
    ['1 h URL after 50 min', T0 + 60 * MIN, T0 + 50 * MIN, true],
    ['1 h URL after 54 min (6 min left = margin)', T0 + 60 * MIN, T0 + 54 * MIN, false],
    ['5 min URL, immediately', T0 + 5 * MIN, T0, false],
    ['clock before hosting time', T0 + 60 * MIN, T0 - 1, false],
  ])('%s', (_name, expiresAt, now, reusable) => {
    expect(isHostedUrlReusable(T0, expiresAt, now)).toBe(reusable);
  });
});
