import { describe, expect, it } from 'vitest';
import { canonicalJson, sortKeysDeep } from '../../../src/store/canonical-json.js';
import { CanonicalJsonError } from '../../../src/store/errors.js';

describe('canonicalJson', () => {
  it.each([
    ['key order does not matter', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    [
      'nested objects are sorted too',
      { z: { y: 1, x: [{ d: 1, c: 2 }] }, a: null },
      '{"a":null,"z":{"x":[{"c":2,"d":1}],"y":1}}',
    ],
    ['array order is kept', [3, 1, 2], '[3,1,2]'],
    ['undefined object values are dropped, like JSON.stringify', { a: undefined, b: true }, '{"b":true}'],
    ['-0 is 0', { n: -0 }, '{"n":0}'],
    ['strings are JSON-escaped, unicode kept', { s: 'é "q"\n' }, '{"s":"é \\"q\\"\\n"}'],
    ['keys sort by code unit, not locale', { b: 1, B: 2, ä: 3, a: 4 }, '{"B":2,"a":4,"b":1,"ä":3}'],
    ['null-prototype objects are plain', Object.assign(Object.create(null) as object, { k: 1 }), '{"k":1}'],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('is equal for differently ordered equal values', () => {
    expect(canonicalJson({ a: 1, b: { c: [1, { e: 1, d: 2 }] } })).toBe(
      canonicalJson({ b: { c: [1, { d: 2, e: 1 }] }, a: 1 }),
    );
  });

  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;

  it.each([
    ['NaN', { params: { x: Number.NaN } }, 'params.x'],
    ['Infinity', { params: { list: [1, Number.POSITIVE_INFINITY] } }, 'params.list[1]'],
    ['undefined in an array', { a: [1, undefined] }, 'a[1]'],
    ['bigint', { n: 1n }, 'n'],
    ['function', { f: () => 1 }, 'f'],
    ['Date', { when: new Date(0) }, 'when'],
    ['Map', { m: new Map() }, 'm'],
    ['a cycle', cyclic, 'self'],
    ['odd key names are quoted in the path', { 'aspect-ratio': Number.NaN }, '["aspect-ratio"]'],
    ['the root itself', undefined, '(root)'],
  ])('rejects %s, naming the path', (_name, value, path) => {
    const run = () => canonicalJson(value);
    expect(run).toThrow(CanonicalJsonError);
    try {
      run();
    } catch (e) {
      expect((e as CanonicalJsonError).path).toBe(path);
      expect((e as CanonicalJsonError).exitCode).toBe(65);
    }
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('sortKeysDeep', () => {
  it('sorts keys at every depth and leaves arrays in order', () => {
    const sorted = sortKeysDeep({ b: [{ z: 1, y: 2 }], a: { d: 1, c: 2 } });
    expect(JSON.stringify(sorted)).toBe('{"a":{"c":2,"d":1},"b":[{"y":2,"z":1}]}');
  });
});
