import { describe, expect, it } from 'vitest';
import {
  GlobPatternError,
  compileSegment,
  expandBraces,
  isGlob,
  splitPattern,
} from '../../../src/recipe/sources/glob-pattern.js';

function matches(seg: string, name: string): boolean {
  const c = compileSegment(seg);
  if (c.kind === 'literal') return c.name === name;
  if (c.kind === 'globstar') return true;
  return c.re.test(name);
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
  ])('%s ~ %s = %s', (seg, name, expected) => expect(matches(seg, name)).toBe(expected));
});

describe('splitPattern', () => {
  it('keeps the static prefix as the base folder', () => {
    const s = splitPattern('assets/products/**/*.jpg');
    expect(s.base).toEqual(['assets', 'products']);
    expect(s.rest.map((r) => r.kind)).toEqual(['globstar', 'pattern']);
    expect(s.absolute).toBe(false);
  });

  it('treats a trailing ** as every file below', () => {
    expect(splitPattern('/data/**').rest.map((r) => r.kind)).toEqual(['globstar', 'pattern']);
    expect(splitPattern('/data/**').absolute).toBe(true);
  });
});
