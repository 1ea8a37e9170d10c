/**
 * Human reporters show paths relative to the cwd. The shortcut for paths below the cwd must
 * give exactly what path.relative gives, including for paths it has to leave to relative().
 */
import { isAbsolute, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath } from '../../../src/cli/display-paths.js';

/** The rule as written before the shortcut. */
function viaRelative(path: string, cwd: string): string {
  if (!isAbsolute(path)) return path;
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return rel.split('/').filter((s) => s === '..').length > 2 ? path : rel;
}

describe('displayPath', () => {
  it('matches path.relative for paths below, at, beside and far from the cwd', () => {
    const cwds = ['/a/b', '/a/b/', '/', '/a', '/a/b/c/d/e'];
    const paths = [
      '/a/b/c.png',
      '/a/b',
      '/a/b/',
      '/a/bc/x',
      '/a/b/./c',
      '/a/b/../c',
      '/a/b//c',
      '/a/b/c/',
      '/a/b/.x',
      '/a/b/..x/y',
      '/a/b/c/..',
      '/x/y',
      'rel/p',
      '/a/b/c/d/e/f',
    ];
    for (const cwd of cwds)
      for (const path of paths)
        expect([cwd, path, displayPath(path, cwd)]).toEqual([cwd, path, viaRelative(path, cwd)]);
    expect(displayPath('/p/out/r/pass-1/a.png', '/p')).toBe('out/r/pass-1/a.png');
  });
});
