/** isWithin: the edge cases stated outright, and its shortcut for plain paths agrees with the path.relative rule. */
import { isAbsolute, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWithin } from '../../../src/util/real-path.js';

function viaRelative(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

describe('isWithin', () => {
  it('answers the edge cases: same path, prefix but not child, trailing separators, root', () => {
    const cases: [string, string, boolean][] = [
      ['/a/b', '/a/b', true], // the same path
      ['/a/b', '/a/b/c', true],
      ['/a/b', '/a/bc', false], // a prefix of the text, not a child
      ['/a/b', '/a/bc/d', false],
      ['/a/b', '/a', false],
      ['/a/b/', '/a/b', true], // trailing separators, on either side
      ['/a/b', '/a/b/', true],
      ['/a/b/', '/a/b/c/', true],
      ['/a/b/', '/a/bc', false],
      ['/', '/', true], // the root
      ['/', '/a/b', true],
      ['/a', '/', false],
      ['/a/b', '/a/b/../c', false], // a `..` that leaves the root
      ['/a/b', '/a/b/c/..', true],
    ];
    for (const [root, target, inside] of cases)
      expect([root, target, isWithin(root, target)]).toEqual([root, target, inside]);
  });

  it('agrees with path.relative inside, at, beside and above the root', () => {
    const roots = ['/p', '/p/q', '/', '/p/', '/p/./q', '/p//q', '/p/q/..', 'p', '/pq'];
    const targets = [
      '/p',
      '/p/a.png',
      '/p/q/r',
      '/pq/a',
      '/p/../etc',
      '/p/q/../../x',
      '/p/..x/y',
      '/p/a/..',
      '/',
      '/x',
      '/p/',
      '/p//q/a',
      '/p/./q/a',
      '/p/.',
      '/p/q/.',
      '/pq',
      '/p/q.png',
      'p/a',
      '',
      '/p/q',
      '/p/qr',
      '/p//q/r',
      '/p/./q/r',
      '/p/q/',
      '/p/q/.',
      '/p/.hidden/a',
      '/p/...',
      '/p/q/..z',
    ];
    for (const root of roots)
      for (const target of targets)
        expect([root, target, isWithin(root, target)]).toEqual([root, target, viaRelative(root, target)]);
  });
});
