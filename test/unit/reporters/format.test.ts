import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration } from '../../../src/cli/reporters/index.js';
import { formatProgress, formatUsd } from '../../../src/cli/reporters/numbers.js';

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [-5, '0 ms'],
    [Number.NaN, '0 ms'],
    [850, '850 ms'],
    [999.4, '999 ms'],
    [999.6, '1.0 s'],
    [1000, '1.0 s'],
    [12_345, '12.3 s'],
    [59_940, '59.9 s'],
    [59_960, '1 m 00 s'],
    [123_000, '2 m 03 s'],
    [3_599_400, '59 m 59 s'],
    [3_599_600, '1 h 00 m'],
    [3_900_000, '1 h 05 m'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1234, '1.2 kB'],
    [12_345, '12.3 kB'],
    [123_456, '123 kB'],
    [999_960, '1.0 MB'],
    [4_100_000, '4.1 MB'],
    [2_500_000_000, '2.5 GB'],
  ])('%s → %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });
});

describe('formatCount and formatProgress', () => {
  it('groups thousands the same way everywhere', () => {
    expect(formatCount(10_000)).toBe('10,000');
    expect(formatCount(7)).toBe('7');
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(-1000)).toBe('-1,000');
  });
  it('shows a percentage when the total is known, bytes otherwise', () => {
    expect(formatProgress(420, 1000)).toBe('42%');
    expect(formatProgress(2000, 1000)).toBe('100%');
    expect(formatProgress(4_100_000, undefined)).toBe('4.1 MB');
    expect(formatProgress(undefined, undefined)).toBe('');
  });
});

describe('formatUsd', () => {
  it.each([
    [0, '$0.00'],
    [0.32, '$0.32'],
    [0.12000000000000001, '$0.12'],
    [1234.5, '$1,234.50'],
    [0.125, '$0.125'],
    [0.0125, '$0.0125'],
    [1.000002, '$1.00'],
    [0.1000002, '$0.10'],
    [0.00003, '$0.00'],
    [2, '$2.00'],
    [0.99999, '$1.00'],
  ])('%s → %s: two decimals at least, up to four, never a bare dot', (usd, text) => {
    expect(formatUsd(usd)).toBe(text);
  });
});
