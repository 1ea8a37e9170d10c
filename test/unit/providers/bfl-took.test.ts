/** BFL's own task duration (status.ts `bflTookMs`): end_time − start_time, or nothing when the reply says nonsense. */
import { describe, expect, it } from 'vitest';
import { bflTookMs } from '../../../src/providers/bfl/status.js';

describe('bflTookMs', () => {
  it('end_time − start_time in ms, from Unix seconds with fractions', () => {
    expect(bflTookMs({ start_time: 1717000000.1, end_time: 1717000004.9, duration: 4.8 })).toBeCloseTo(4800, 0);
  });

  it.each([
    ['no result', null],
    ['a string', 'x'],
    ['a missing end', { start_time: 1 }],
    ['strings', { start_time: '1', end_time: '2' }],
    ['an end before the start', { start_time: 10, end_time: 9 }],
    ['a day or more', { start_time: 0, end_time: 86_400 }],
    ['NaN', { start_time: Number.NaN, end_time: 2 }],
  ])('%s: null (the bracket of the reads is learned instead)', (_name, result) => {
    expect(bflTookMs(result)).toBeNull();
  });
});
