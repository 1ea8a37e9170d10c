/** Terminal columns of text (util/text-width.ts): wide characters, emoji, marks; cuts between graphemes. */
import { describe, expect, it } from 'vitest';
import { cutToWidth, padToWidth, textWidth } from '../../../src/util/text-width.js';

describe('textWidth', () => {
  it.each([
    ['plain ASCII', 'sky@pet-chelsea#2', 17],
    ['CJK: two columns each', '写真の編集', 10],
    ['Hangul and fullwidth forms', '한글ＡＢ', 8],
    ['an emoji, and one asked for with VS16', '🎨❤️', 4],
    ['an emoji family (one grapheme)', '👨‍👩‍👧‍👦', 2],
    ['a letter and its combining accent', 'e\u0301', 1],
    ['a zero-width joiner and a direction mark alone', '\u200d\u200f', 0],
    ['Latin with accents, precomposed', 'café', 4],
  ])('%s', (_what, text, width) => {
    expect(textWidth(text)).toBe(width);
  });
});

describe('cutToWidth and padToWidth', () => {
  it('cut to the columns with an ellipsis, never inside a grapheme', () => {
    expect(cutToWidth('abcdef', 6)).toBe('abcdef');
    expect(cutToWidth('写真の編集', 6)).toBe('写真…');
    expect(cutToWidth('写真の編集', 7)).toBe('写真の…');
    expect(cutToWidth('a👨‍👩‍👧‍👦b', 3)).toBe('a…');
    expect(cutToWidth('abc', 0)).toBe('');
  });

  it('pad by columns, not code units', () => {
    expect(padToWidth('写真', 6)).toBe('写真  ');
    expect(padToWidth('abc', 2)).toBe('abc');
  });
});
