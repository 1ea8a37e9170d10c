/** isWithin's shortcut for plain paths (inside or not) gives what the path.relative rule gives. */
import { isAbsolute, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWithin } from '../../../src/util/real-path.js';

function viaRelative(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

describe('isWithin', () => {
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
