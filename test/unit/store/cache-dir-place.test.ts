/**
 * A cache dir that holds the project is refused, and the hint names the default cache dir this
 * process would use instead (XDG_CACHE_HOME moves it), or none when the default is the one refused.
 */
import { describe, expect, it } from 'vitest';
import { placedCacheDir } from '../../../src/store/cache-dir.js';

const refusal = (
  env: Record<string, string>,
  flag?: string,
  root = '/work/proj',
): { message: string; hint?: string | undefined } => {
  try {
    placedCacheDir({ projectRoot: root }, { env, cwd: root, flag });
  } catch (e) {
    return e as { message: string; hint?: string };
  }
  throw new Error('not refused');
};

describe('placedCacheDir refusal hints', () => {
  it.each([
    [{ HOME: '/home/ann' }, '; the default is ~/.cache/kontext'],
    [{ HOME: '/home/ann', XDG_CACHE_HOME: '/var/cache/ann' }, '; the default is /var/cache/ann/kontext'],
    [{ HOME: '/home/ann', XDG_CACHE_HOME: '/home/ann/.xdg' }, '; the default is ~/.xdg/kontext'],
  ])('--cache-dir . with %j', (env, tail) => {
    const e = refusal(env, '.');
    expect(e.message).toBe(
      '--cache-dir /work/proj holds the project /work/proj: the cache must be a folder of its own',
    );
    expect(e.hint).toBe(`choose a folder outside the project with --cache-dir or KONTEXT_CACHE_DIR${tail}`);
  });

  it('the default itself holding the project: named as the default, no default offered', () => {
    const e = refusal({ HOME: '/home/ann', XDG_CACHE_HOME: '/work' }, undefined, '/work/kontext/proj');
    expect(e.message).toMatch(/^the default cache dir \/work\/kontext holds the project \/work\/kontext\/proj/);
    expect(e.hint).toBe('choose a folder outside the project with --cache-dir or KONTEXT_CACHE_DIR');
  });
});
