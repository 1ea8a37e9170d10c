/**
 * A changed-area figure, as the run, `kontext status` and the review sheet say it (one rounding),
 * and over a `max_change` never equal to or under it (walk-al 1).
 */
import { describe, expect, it } from 'vitest';
import { percentOver, percentText } from '../../../src/util/percent.js';

describe('percentText / percentOver', () => {
  it('rounds as toFixed(1): 98.55 (98.5499…) is 98.5%; a whole number has no decimal', () => {
    expect([98.55, 99.55, 30, 0, 41.25].map(percentText)).toEqual(['98.5%', '99.5%', '30%', '0%', '41.3%']);
  });

  it('over max_change: the decimals it takes to read over it, up to 3, else as stored', () => {
    expect(percentOver(98.55, 98.5)).toBe('98.55%');
    expect(percentOver(98.55, 97)).toBe('98.5%');
    expect(percentOver(98.55, 98.549)).toBe('98.55%');
    expect(percentOver(98.5001, 98.5)).toBe('98.5001%');
    expect(percentOver(99, 98.5)).toBe('99%');
    // Not over: as percentText says it.
    expect(percentOver(12.34, 50)).toBe('12.3%');
  });
});
