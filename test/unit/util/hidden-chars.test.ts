/** firstHiddenChar: what can hide text from a recipe's reviewer, and what a prompt may hold. */
import { describe, expect, it } from 'vitest';
import { firstHiddenChar } from '../../../src/util/control-chars.js';

describe('firstHiddenChar', () => {
  it.each([
    ['tab, newline and CR LF in a text', 'a\tb\nc\r\nd', true, null],
    ['a lone CR in a text', 'a\r b', true, 'U+000D@1'],
    ['a tab in a name', 'a\tb', false, 'U+0009@1'],
    ['ESC', 'x\u001b[2J', true, 'U+001B@1'],
    ['DEL and C1', '\u007f\u009b', true, 'U+007F@0'],
    ['a bidi override after an astral character (UTF-16 index)', '😀\u202Ex', true, 'U+202E@2'],
    ['a bidi isolate', 'x\u2069', false, 'U+2069@1'],
    ['marks and zero-width characters are not in the set', 'a\u200Eb\u200Bc', true, null],
  ] as const)('%s', (_name, text, isText, expected) => {
    const hidden = firstHiddenChar(text, isText);
    expect(hidden === null ? null : `${hidden.code}@${hidden.index}`).toBe(expected);
  });

  it('names a bidi control, and calls the rest a control character', () => {
    expect(firstHiddenChar('\u202D', true)?.what).toBe('LEFT-TO-RIGHT OVERRIDE');
    expect(firstHiddenChar('\u0007', true)?.what).toBe('a control character');
  });
});
