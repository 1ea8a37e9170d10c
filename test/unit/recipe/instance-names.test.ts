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
    // Windows device names, whatever the case or extension, and trailing dots and spaces.
    ['/a/con.png', 'con_'],
    ['/a/NUL.jpg', 'NUL_'],
    ['/a/Com1.final.png', 'Com1_.final'],
    ['/a/lpt9 .png', 'lpt9_'],
    ['/a/aux..png', 'aux_'],
    ['/a/console.png', 'console'],
    ['/a/x. .png', 'x'],
  ])('%s -> %s', (file, stem) => expect(stemOf(file)).toBe(stem));

  it('reads a decomposed (NFD, macOS) name as its composed form', () => {
    expect(stemOf('/a/café.jpg'.normalize('NFD'))).toBe(stemOf('/a/café.jpg'.normalize('NFC')));
    expect(stemOf('/a/Ångström.jpg'.normalize('NFD'))).toBe('ngstr-m');
  });

  it('cuts a stem over 100 characters to 91 plus a hash of the whole name, the same on every machine', () => {
    const a = stemOf(`/a/${'x'.repeat(300)}.jpg`);
    expect(a).toMatch(/^x{91}-[0-9a-f]{8}$/);
    expect(stemOf(`/b/${'x'.repeat(300)}.png`)).toBe(a);
    expect(stemOf(`/a/${'x'.repeat(299)}y.jpg`)).not.toBe(a);
    expect(stemOf(`/a/${'x'.repeat(100)}.jpg`)).toBe('x'.repeat(100));
    // A cut landing on a dash or dot does not leave `--`.
    expect(stemOf(`/a/${'x'.repeat(90)}-${'y'.repeat(50)}.jpg`)).toMatch(/^x{90}-[0-9a-f]{8}$/);
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
