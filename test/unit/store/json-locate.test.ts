import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError, lineCol } from '../../../src/store/json-locate.js';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{"a":1,}', 7, /property name/],
    ['{"a":1', 6, /end of file/],
    ['{\n  "a": [1, 2,, 3]\n}', 15, /unexpected ","/],
    ['{"a":"x\\q"}', 7, /escape/],
    ['{"a":"tab\there"}', 9, /control character/],
    ['{"a":1} x', 8, /after the end/],
    ['{"a":01}', 6, /expected ","/],
    ['{"a" 1}', 5, /expected ":"/],
    ['', 0, /end of file/],
    ['"abc', 4, /unterminated/],
    ['nul', 0, /unexpected "n"/],
  ])('%j fails at offset %i', (text, offset, message) => {
    let parsed = true;
    try {
      JSON.parse(text);
    } catch {
      parsed = false;
    }
    expect(parsed).toBe(false);
    const found = findJsonSyntaxError(text);
    expect(found?.offset).toBe(offset);
    expect(found?.message).toMatch(message);
  });

  it.each(['[1,2]', '{"a":{"b":null,"c":"d\\u00e9"}}', ' -1.5e+3 ', '"\\/"', '{}', '[]', 'true'])(
    '%j is valid',
    (text) => {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(findJsonSyntaxError(text)).toBeNull();
    },
  );
});

describe('lineCol', () => {
  it.each([
    ['abc', 0, 1, 1],
    ['abc', 2, 1, 3],
    ['a\nbc', 2, 2, 1],
    ['a\nbc\n', 4, 2, 3],
  ])('%j @%i is %i:%i', (text, offset, line, col) => {
    expect(lineCol(text, offset)).toEqual({ line, col });
  });
});
