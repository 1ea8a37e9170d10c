import { describe, expect, it } from 'vitest';
import { formatBytes, parseDuration, parseSize, sizeAgainstCap } from '../../../src/util/units.js';

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['90m', 90 * 60_000],
    ['45s', 45_000],
    ['2w', 14 * 86_400_000],
    ['1.5h', 5_400_000],
    ['0d', 0],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '30', 'd', '30 d', '-1d', '30D', '30days', '1e3d', 'abc', '30d5h', '.5d', '99999999999999999d'])(
    'rejects %j',
    (text) => expect(parseDuration(text)).toBeNull(),
  );
});

describe('parseSize', () => {
  it.each([
    ['500MB', 500e6],
    ['2GB', 2e9],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['800KiB', 800 * 1024],
    ['2gb', 2e9],
    ['0B', 0],
    ['10B', 10],
  ])('%s', (text, bytes) => expect(parseSize(text)).toBe(bytes));

  it.each(['', '2', 'GB', '2 GB', '-2GB', '2GBs', '2G', '1e3MB', 'lots', '2XB', '99999999TB'])('rejects %j', (text) =>
    expect(parseSize(text)).toBeNull(),
  );
});

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [2e9, '2.0 GB'],
    [123_456_789, '123 MB'],
  ])('%d', (n, text) => expect(formatBytes(n)).toBe(text));
});

describe('sizeAgainstCap', () => {
  const MIB = 1024 * 1024;
  it.each([
    [6.5 * MIB, 6 * MIB, '6.5 MiB', '6 MiB'],
    // walk-af 10: never "6.0 MiB, over the 6 MiB": as many decimals as it takes to differ.
    [6_327_900, 6 * MIB, '6.03 MiB', '6 MiB'],
    [6 * MIB + 1, 6 * MIB, '6.000001 MiB', '6 MiB'],
    [6 * MIB + 5000, 6 * MIB, '6.005 MiB', '6 MiB'],
    [7_040_000, 7_000_000, '7.04 MB', '7 MB'],
    [7_000_001, 7_000_000, '7.000001 MB', '7 MB'],
    [28.6 * MIB, 6 * MIB, '28.6 MiB', '6 MiB'],
  ])('%d against %d', (bytes, cap, size, capText) =>
    expect(sizeAgainstCap(bytes, cap)).toEqual({ size, cap: capText }),
  );
});
