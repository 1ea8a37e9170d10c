import { describe, expect, it } from 'vitest';
import {
  GlobPatternError,
  compileSegment,
  expandBraces,
  isGlob,
  matchSegments,
  splitPattern,
} from '../../../src/recipe/sources/glob-pattern.js';

function matches(seg: string, name: string): boolean {
  const c = compileSegment(seg);
  if (c.kind === 'literal') return c.name === name;
  if (c.kind === 'globstar') return true;
  return c.test(name);
}

describe('isGlob', () => {
  it.each([
    ['assets/*.jpg', true],
    ['assets/shot?.jpg', true],
    ['assets/[ab].jpg', true],
    ['assets/{a,b}.jpg', true],
    ['assets/photo.jpg', false],
    ['https://example.com/a.jpg', false],
  ])('%s -> %s', (spec, expected) => expect(isGlob(spec)).toBe(expected));
});

describe('expandBraces', () => {
  it.each([
    ['a.jpg', ['a.jpg']],
    ['*.{jpg,png}', ['*.jpg', '*.png']],
    ['{a,b}/{c,d}', ['a/c', 'a/d', 'b/c', 'b/d']],
    ['{a,{b,c}}.jpg', ['a.jpg', 'b.jpg', 'c.jpg']],
    ['{x}.jpg', ['{x}.jpg']], // no comma: literal
    ['{a,}.jpg', ['a.jpg', '.jpg']],
  ])('%s', (pattern, expected) => expect(expandBraces(pattern)).toEqual(expected));

  it('refuses an explosion of alternatives', () => {
    const bomb = '{a,b,c,d}'.repeat(8); // 4^8 = 65,536 patterns
    expect(() => expandBraces(bomb)).toThrow(GlobPatternError);
  });
});

describe('compileSegment', () => {
  it.each([
    ['*.jpg', 'shoe.jpg', true],
    ['*.jpg', 'shoe.png', false],
    ['*.jpg', '.hidden.jpg', false],
    ['.*.jpg', '.hidden.jpg', true],
    // An editor's backup, swap or temp file, which watch mode never sees, is no wildcard's (walk-ak 2).
    ['*', 'pet.jpg~', false],
    ['*.jpg*', 'pet.jpg~', false],
    ['.*', '.pet.jpg.swp', false],
    ['.*', '.pet.jpg.swx', false],
    ['.*', '.subl4d2e.tmp', false],
    ['*', 'pet.jpg', true],
    ['*', 'pet~cat.jpg', true],
    ['.*', '.pet.jpg', true],
    ['shot-?.jpg', 'shot-1.jpg', true],
    ['shot-?.jpg', 'shot-10.jpg', false],
    ['[ab]*.jpg', 'apple.jpg', true],
    ['[ab]*.jpg', 'cherry.jpg', false],
    ['[!ab]*.jpg', 'cherry.jpg', true],
    ['[^ab]*.jpg', 'apple.jpg', false],
    ['img-[0-9].jpg', 'img-7.jpg', true],
    ['img-[0-9].jpg', 'img-x.jpg', false],
    ['a+b(1).jpg*', 'a+b(1).jpg.bak', true], // regex characters are literal
    ['[unclosed*', '[unclosed-x', true],
    ['\\*.jpg', '*.jpg', true],
    ['\\*.jpg', 'a.jpg', false],
    ['*a*a*b.png', 'xaxayb.png', true],
    ['*a*a*b.png', 'aab.pn', false],
    ['a**b', 'axyb', true], // `**` inside a name is one `*`
    ['[a-c]?[!x-z]', 'b1w', true],
    ['[a-c]?[!x-z]', 'b1y', false],
    ['[]a]', ']', true],
    ['[\\a-z]', 'b', true], // an escaped member starts a range, as the RegExp read it (review-ab)
    ['[\\a-z]', '-', false],
    ['[]-z]', 'a', true], // a leading ] starts a range too
    ['[!]-z]', 'a', false],
    ['[z-a]', 'm', false], // backwards: nothing
    ['🎨-*.png', '🎨-1.png', true], // code points, not code units
    ['?.png', '🎨.png', true],
  ])('%s ~ %s = %s', (seg, name, expected) => expect(matches(seg, name)).toBe(expected));

  it('matches many stars against a long name at once (walk-t: a RegExp backtracked for minutes)', () => {
    const name = `${'a'.repeat(200)}7.png`;
    for (const stars of [3, 5, 26, 60]) {
      const seg = `${'*a'.repeat(stars)}*b.png`;
      expect(matches(seg, name)).toBe(false);
      expect(matches(seg.replace('b.png', '7.png'), name)).toBe(true);
    }
  });
});

describe('matchSegments', () => {
  it('many ** and * over a deep path: decided at once, as a few would be (walk-t)', () => {
    const parts = [...Array.from({ length: 30 }, (_, i) => `d${i}`), 'x.png'];
    const { rest } = splitPattern(`${'**/*/'.repeat(20)}*.png`);
    expect(matchSegments(rest, parts)).toBe(true);
    expect(matchSegments(splitPattern(`${'**/*/'.repeat(40)}*.png`).rest, parts)).toBe(false); // 40 folders at least
    expect(matchSegments(splitPattern('**/**/**/d29/*.png').rest, parts)).toBe(true);
  });
});

describe('splitPattern', () => {
  it('keeps the static prefix as the base folder', () => {
    const s = splitPattern('assets/products/**/*.jpg');
    expect(s.base).toEqual(['assets', 'products']);
    expect(s.rest.map((r) => r.kind)).toEqual(['globstar', 'pattern']);
    expect(s.absolute).toBe(false);
  });

  it('makes consecutive ** one, and refuses more path segments than a path can have', () => {
    expect(splitPattern('a/**/**/./**/*.png').rest.map((r) => r.kind)).toEqual(['globstar', 'pattern']);
    expect(() => splitPattern('x/'.repeat(2000))).toThrow(GlobPatternError);
  });

  it('treats a trailing ** as every file below', () => {
    expect(splitPattern('/data/**').rest.map((r) => r.kind)).toEqual(['globstar', 'pattern']);
    expect(splitPattern('/data/**').absolute).toBe(true);
  });
});
