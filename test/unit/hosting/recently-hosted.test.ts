/** The in-run hand-off rule: a URL hosted ahead of its node is given to it while half its life is left. */
import { describe, expect, it } from 'vitest';
import { isHostedUrlReusable, isRecentlyHosted } from '../../../src/hosting/freshness.js';

const T0 = 1_700_000_000_000;

describe('isRecentlyHosted', () => {
  it.each([
    ['a 60 s URL, 10 s later', T0 + 60_000, T0 + 10_000, true],
    ['a 60 s URL, 29.9 s later', T0 + 60_000, T0 + 29_900, true],
    ['a 60 s URL, 30 s later', T0 + 60_000, T0 + 30_000, false],
    ['a 1 h URL, 40 min later', T0 + 3_600_000, T0 + 2_400_000, false],
    ['a URL that never expires, a year later', null, T0 + 365 * 86_400_000, true],
    ['a clock that went backwards', T0 + 60_000, T0 - 1, false],
  ])('%s → %s', (_what, expiresAt, now, expected) => {
    expect(isRecentlyHosted(T0, expiresAt, now)).toBe(expected);
  });

  it('covers short URLs that the cross-run rule never reuses', () => {
    expect(isHostedUrlReusable(T0, T0 + 60_000, T0 + 1)).toBe(false);
    expect(isRecentlyHosted(T0, T0 + 60_000, T0 + 1)).toBe(true);
  });
});
