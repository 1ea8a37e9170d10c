/**
 * Human reporters show paths relative to the cwd. The shortcut for paths below the cwd must
 * give exactly what path.relative gives, including for paths it has to leave to relative().
 */
import { isAbsolute, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayPath, relativizeEvent } from '../../../src/cli/display-paths.js';
import { watchCycleBody } from '../../../src/cli/reporters/lines.js';

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

describe('relativizeEvent', () => {
  it("shows a watch-mode problem's file as a plain run does: relative to the cwd", () => {
    const problems = [
      '/p/r.yml:3:5: error E_RECIPE_SCHEMA: unknown key "promt"',
      '/p/sub/in/a.png:1:1: oops',
      '/elsewhere/r.yml:2:1: beside the cwd',
      'no location: /p/r.yml:3:5: stays',
      'r.yml:1:1: already relative',
    ];
    const shown = relativizeEvent({ type: 'watch-error', t: 0, recipe: '/p/r.yml', kind: 'invalid', problems }, '/p');
    expect(shown).toMatchObject({
      recipe: 'r.yml',
      problems: [
        'r.yml:3:5: error E_RECIPE_SCHEMA: unknown key "promt"',
        'sub/in/a.png:1:1: oops',
        '../elsewhere/r.yml:2:1: beside the cwd',
        'no location: /p/r.yml:3:5: stays',
        'r.yml:1:1: already relative',
      ],
    });
    const error = { type: 'run-error', t: 0, recipe: '/p/r.yml', code: 'E_X', exit_code: 66, problems } as const;
    const fromSub = relativizeEvent(error, '/p/sub') as typeof error;
    expect([fromSub.recipe, fromSub.problems[0]]).toEqual([
      '../r.yml',
      '../r.yml:3:5: error E_RECIPE_SCHEMA: unknown key "promt"',
    ]);
  });
});

describe('a watch cycle started by a file renamed to a name with a newline', () => {
  it('names it on its one line, escaped', () => {
    const e = relativizeEvent(
      {
        type: 'watch-cycle',
        t: 0,
        recipe: '/p/r.yml',
        changed: ['/p/in/x\u001b[2J\nFORGED: ok.jpg'],
        to_run: [],
        in_flight: 0,
        cached: 1,
        abandoned: 0,
      },
      '/p',
    );
    const line = watchCycleBody(e as Extract<typeof e, { type: 'watch-cycle' }>);
    expect(line).toBe('r.yml: x\\x1b[2J\\x0aFORGED: ok.jpg changed → nothing to run, 1 cached');
  });
});
