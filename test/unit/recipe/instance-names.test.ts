import { describe, expect, it } from 'vitest';
import { instanceNames, stemOf } from '../../../src/recipe/sources/instance-names.js';

describe('stemOf', () => {
  it.each([
    ['/a/shoe.jpg', 'shoe'],
    ['/a/shoe.final.jpg', 'shoe.final'],
    ['/a/Shoe 01 (copy).jpg', 'Shoe-01-copy'],
    ['/a/.hidden.jpg', 'hidden'],
    ['/a/@#.png', 'file'],
    ['/a/noext', 'noext'],
  ])('%s -> %s', (file, stem) => expect(stemOf(file)).toBe(stem));

  it('reads a decomposed (NFD, macOS) name as its composed form', () => {
    expect(stemOf('/a/café.jpg'.normalize('NFD'))).toBe(stemOf('/a/café.jpg'.normalize('NFC')));
    expect(stemOf('/a/Ångström.jpg'.normalize('NFD'))).toBe('ngstr-m');
  });
});

describe('instanceNames', () => {
  it('keeps unique stems as they are', () => {
    expect(instanceNames(['/a/x.jpg', '/a/y.jpg'])).toEqual(['x', 'y']);
  });

  it('numbers collisions from 2, in order', () => {
    expect(instanceNames(['/a/shoe.jpg', '/a/shoe.png', '/b/shoe.jpg'])).toEqual(['shoe', 'shoe-2', 'shoe-3']);
  });

  it('never takes a name another file has naturally', () => {
    expect(instanceNames(['/a/shoe.jpg', '/b/shoe.jpg', '/c/shoe-2.jpg'])).toEqual(['shoe', 'shoe-3', 'shoe-2']);
  });

  it('treats names differing only in case as colliding (case-insensitive file systems)', () => {
    expect(instanceNames(['/a/Shoe.jpg', '/b/shoe.jpg'])).toEqual(['Shoe', 'shoe-2']);
  });

  it('is linear enough for thousands of collisions', () => {
    const files = Array.from({ length: 5000 }, (_, i) => `/d${i}/same.jpg`);
    const names = instanceNames(files);
    expect(new Set(names).size).toBe(5000);
    expect(names[4999]).toBe('same-5000');
  });
});
