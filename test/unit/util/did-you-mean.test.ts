import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../../src/util/did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['modle', 'model', 1], // a swap of neighbours is one edit
    ['prompt', 'prompt', 0],
  ])('%s ~ %s = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('closest / didYouMean', () => {
  const keys = ['id', 'prompt', 'from', 'seed', 'aspect_ratio', 'variants', 'save', 'model', 'params'];
  it.each([
    ['promt', 'prompt'],
    ['modle', 'model'],
    ['variant', 'variants'],
    ['aspect-ratio', 'aspect_ratio'],
    ['Seed', 'seed'],
    ['emu', undefined], // not a prefix of any key here
    ['background', undefined],
  ])('%s -> %s', (word, expected) => {
    expect(closest(word, keys)).toBe(expected);
  });

  it('a clear prefix counts as close', () => {
    expect(closest('emu', ['runcomfy', 'emulator'])).toBe('emulator');
  });

  it('never suggests the word itself', () => {
    expect(closest('seed', ['seed'])).toBeUndefined();
  });

  it('formats the hint', () => {
    expect(didYouMean('jackt', ['jacket', 'umbrella'])).toBe('did you mean "jacket"?');
    expect(didYouMean('zzz', ['jacket'])).toBeUndefined();
  });
});
