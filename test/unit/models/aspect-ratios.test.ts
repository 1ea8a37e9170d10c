/** "Did you mean" for aspect ratios: nearest by value, never across orientation. */
import { describe, expect, it } from 'vitest';
import { KONTEXT_RATIOS, WIDE_RATIOS, nearestRatio, ratioValue } from '../../../src/models/aspect-ratios.js';

describe('nearestRatio', () => {
  it.each([
    ['4:5', '3:4'],
    ['5:4', '4:3'],
    ['2:1', '16:9'],
    ['1:2', '9:16'],
    ['7:3', '21:9'],
    ['3:1', '21:9'],
    ['1:3', '9:21'],
    ['10:11', '1:1'],
    ['11:10', '1:1'],
    ['2:2', '1:1'],
    ['1.9:1', '16:9'],
    ['4x5', '3:4'],
  ])('%s → %s on the common Kontext list', (asked, expected) => {
    expect(nearestRatio(asked, KONTEXT_RATIOS)).toBe(expected);
  });

  it('keeps the orientation even when the other side is nearer by value', () => {
    // 4:5 (0.8) is nearer 4:3 (|log| 0.51) than 9:21 (|log| 0.62), but 4:3 is landscape.
    expect(nearestRatio('4:5', ['4:3', '9:21'])).toBe('9:21');
    expect(nearestRatio('5:4', ['2:3', '16:9'])).toBe('16:9');
    expect(nearestRatio('5:4', ['2:3', '9:16'])).toBeUndefined();
  });

  it('on the wide list, 4:5 and 2:1 are exact', () => {
    expect(nearestRatio('4:5', WIDE_RATIOS)).toBe('4:5');
    expect(nearestRatio('2:1', WIDE_RATIOS)).toBe('2:1');
  });

  it.each(['wide', '4:0', '0:3', ':', '-4:3', '4:3:1', '1e400:1', ''])('%j is not a ratio', (bad) => {
    expect(ratioValue(bad)).toBeUndefined();
    expect(nearestRatio(bad, KONTEXT_RATIOS)).toBeUndefined();
  });

  it('a square ask with no square on the list gets nothing of the wrong orientation', () => {
    expect(nearestRatio('1:1', ['16:9', '9:16'])).toBeUndefined();
  });
});
