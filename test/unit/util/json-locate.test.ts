import { describe, expect, it } from 'vitest';
import {
  countValueMembers,
  findJsonDuplicateKey,
  findJsonSyntaxError,
  jsonMembersAtMost,
  lineCol,
  locatePath,
} from '../../../src/util/json-locate.js';

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

describe('jsonMembersAtMost / findJsonDuplicateKey', () => {
  it.each([
    ['{}', 0, 0],
    ['[1, {"a": "x:y"}, {"b": {"c": "x:"}}]', 3, 3],
    ['{"t": "2025-01-01T00:00:00Z", "n": [{}, {"x" \n :\tnull}]}', 3, 3],
    ['"a:b"', 0, 0],
    // A string's opening or escaped quote before a colon counts too: a bound, not the count.
    ['{"c": ":"}', 1, 2],
    ['{"a\\"": "\\\\", "b": "\\":\\"", "c:": 1}', 3, 4],
  ])('%j has %i members, counted as at most %i', (text, n, bound) => {
    expect(countValueMembers(JSON.parse(text))).toBe(n);
    expect(jsonMembersAtMost(text)).toBe(bound);
    expect(findJsonDuplicateKey(text)).toBeNull();
  });

  it('a repeated key: the text counts more members than the parse keeps, and the finder names it', () => {
    const text =
      '{\n  "nodes": {\n    "a": {"seed": 1},\n    "b": {"seed": 2, "seed": 3},\n    "a": {"seed": 4}\n  }\n}';
    expect(jsonMembersAtMost(text)).toBe(8);
    expect(countValueMembers(JSON.parse(text))).toBe(5);
    // In text order: "seed" inside "b" comes before the second "a".
    expect(findJsonDuplicateKey(text)).toEqual({
      offset: text.indexOf('"seed": 3'),
      first: text.indexOf('"seed": 2'),
      path: ['nodes', 'b'],
      key: 'seed',
    });
    const nodes = '{"nodes": {"a": {}, "b": {}, "\\u0061": {}}}'; // the same key, escaped
    expect(findJsonDuplicateKey(nodes)).toMatchObject({ path: ['nodes'], key: 'a', first: 11 });
    // The same key in sibling objects is no duplicate.
    expect(findJsonDuplicateKey('[{"a": 1}, {"a": 2}, {"x": {"a": 3}}]')).toBeNull();
  });
});

describe('locatePath', () => {
  const scenario = [
    '{',
    '  "name": "faults",',
    '  "faults": [',
    '    { "on": "submit", "status": 503 },',
    '    { "on": "status", "status": "x" },',
    '    [0, 1, { "status": 2 }]',
    '  ]',
    '}',
  ].join('\n');
  const at = (path: readonly PropertyKey[]): string => {
    const { line, col } = lineCol(scenario, locatePath(scenario, path));
    return `${line}:${col}`;
  };

  it('finds the array element its index names, not the first one holding the key', () => {
    expect(at(['faults', 1, 'status'])).toBe('5:23');
    expect(at(['faults', 0, 'status'])).toBe('4:23');
    expect(at(['faults', 1])).toBe('5:5');
    expect(at(['faults', 2, 2, 'status'])).toBe('6:14');
  });

  it('matches a key only where it is a key (the value "faults" above is not the key)', () => {
    expect(at(['faults'])).toBe('3:3');
  });

  it('falls back to the deepest part of the path found; 0 for none; stops at broken JSON', () => {
    expect(at(['faults', 1, 'missing'])).toBe('5:5');
    expect(at(['faults', 9])).toBe('3:3');
    expect(locatePath(scenario, ['nope'])).toBe(0);
    expect(locatePath(scenario, [])).toBe(0);
    expect(locatePath('{"a": [1, {"b": oops', ['a', 1, 'b'])).toBe(11);
  });

  it('names a key repeated inside an array element by its index', () => {
    expect(findJsonDuplicateKey('{"faults": [{"on": 1}, {"on": 2, "on": 3}]}')).toMatchObject({
      path: ['faults', 1],
      key: 'on',
    });
  });
});
