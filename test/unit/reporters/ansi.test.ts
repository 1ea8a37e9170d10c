import { describe, expect, it } from 'vitest';
import { createStyle, cursor, stripAnsi, truncate, visibleWidth } from '../../../src/cli/reporters/ansi.js';

describe('createStyle', () => {
  it('paints only when colour is on', () => {
    expect(createStyle(false).red('x')).toBe('x');
    expect(createStyle(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(stripAnsi(createStyle(true).bold('x'))).toBe('x');
  });
});

describe('truncate', () => {
  it('leaves a line that fits alone', () => {
    expect(truncate('abcdef', 6)).toBe('abcdef');
  });
  it('cuts to the width with an ellipsis', () => {
    expect(truncate('abcdefgh', 5)).toBe('abcd…');
    expect(visibleWidth(truncate('abcdefgh', 5))).toBe(5);
    expect(truncate('abc', 0)).toBe('');
  });
  it('counts only visible characters and closes a cut colour', () => {
    const red = createStyle(true).red;
    const line = `${red('abcdef')}ghij`;
    const cut = truncate(line, 4);
    expect(stripAnsi(cut)).toBe('abc…');
    expect(cut.endsWith('\u001b[0m')).toBe(true);
    expect(truncate(line, 10)).toBe(line);
  });
  it('never splits a surrogate pair; an emoji takes two columns', () => {
    expect(truncate('😀😀😀😀', 3)).toBe('😀…');
    expect(truncate('😀😀😀😀', 5)).toBe('😀😀…');
  });
  it('counts wide characters as two columns and cuts between graphemes (walk-u 2)', () => {
    const header = '写真の編集レシピ🎨.yml  4.1 s  4/8 done';
    expect(visibleWidth(header)).toBe(8 * 2 + 2 + 4 + 2 + 5 + 2 + 8);
    const cut = truncate(header, 11);
    expect(cut).toBe('写真の編集…');
    expect(visibleWidth(cut)).toBe(11);
    // An emoji family is one grapheme: kept whole or dropped, never left with a dangling joiner.
    expect(truncate('ab👨‍👩‍👧‍👦cdef', 4)).toBe('ab…');
    expect(truncate('ab👨‍👩‍👧‍👦cdef', 5)).toBe('ab👨‍👩‍👧‍👦…');
    expect(visibleWidth('e\u0301')).toBe(1); // a letter and its combining accent
  });
});

describe('cursor', () => {
  it('erases a block of n lines, and nothing for n = 0', () => {
    expect(cursor.eraseLinesAbove(3)).toBe('\u001b[3A\r\u001b[J');
    expect(cursor.eraseLinesAbove(0)).toBe('');
  });
});
