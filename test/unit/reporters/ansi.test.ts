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
  it('never splits a surrogate pair', () => {
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
  });
});

describe('cursor', () => {
  it('erases a block of n lines, and nothing for n = 0', () => {
    expect(cursor.eraseLinesAbove(3)).toBe('\u001b[3A\r\u001b[J');
    expect(cursor.eraseLinesAbove(0)).toBe('');
  });
});
