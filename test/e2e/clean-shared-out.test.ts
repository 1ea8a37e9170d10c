/**
 * Two recipes in one folder with the same `name:` share `out/<name>/` (a copy of a recipe to try
 * another pass, say). `kontext clean` of one must not remove what the other's lock names, nor
 * `kontext status` call it an orphan: before the fix both took the other recipe's outputs for
 * their own dropped passes (kontext's layout, bytes the cache knows) and clean deleted them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../helpers/run-fixtures.js';

let project: Project | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('two recipes sharing an out folder', () => {
  it("clean and status of one leave the other's outputs alone; a dropped pass of its own still goes", async () => {
    project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['old', 'Keep the face unchanged. Add round glasses.'],
      ]),
    );
    const p = project;
    const env = cliEnv(p.root);
    const other = join(p.root, 'try.yml');
    await writeFile(other, recipeYaml([['snow', 'Keep everything else unchanged. Add falling snow.']]));
    for (const recipe of [p.recipe, other]) expect((await cli(['run', recipe], { cwd: p.root, env })).code).toBe(0);
    await p.writeRecipe(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));

    const status = await cli(['status', p.recipe, '--json'], { cwd: p.root, env });
    const orphaned = (JSON.parse(status.stdout) as { orphaned: { output: string }[] }).orphaned.map((o) => o.output);
    expect(orphaned).toEqual([join(p.outDir, 'old', 'photo.png')]);
    const clean = await cli(['clean', p.recipe], { cwd: p.root, env });
    expect(clean.code, clean.stderr).toBe(0);
    expect(existsSync(join(p.outDir, 'old', 'photo.png'))).toBe(false);
    expect(existsSync(join(p.outDir, 'snow', 'photo.png'))).toBe(true);
    expect(existsSync(join(p.outDir, 'sky', 'photo.png'))).toBe(true);
  }, 60_000);
});

/** A recipe in `dup/<folder>/` writing into the project's `final/hero/`. */
const heroRecipe = (photo: string, pass: string, prompt: string): string =>
  [
    'version: 1',
    'provider: emulator',
    'out: ../../final/hero',
    'sources:',
    `  photo: ../../assets/${photo}`,
    'passes:',
    `  - id: ${pass}`,
    `    prompt: ${JSON.stringify(prompt)}`,
    '',
  ].join('\n');

describe('recipes in two folders naming one out: folder (walk-ag 1)', () => {
  it("a run warns; clean and status of one leave what the other's lock names, or other bytes", async () => {
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    const env = cliEnv(p.root);
    const one = join(p.root, 'dup', 'a', 'one.yml');
    const two = join(p.root, 'dup', 'b', 'two.yml');
    const hero = (pass: string): string => join(p.root, 'final', 'hero', pass, 'photo.png');
    await mkdir(dirname(one), { recursive: true });
    await mkdir(dirname(two), { recursive: true });
    await writeFile(one, heroRecipe('portrait-astronaut.jpg', 'fix', 'Keep the face unchanged. Make it teal.'));
    await writeFile(two, heroRecipe('scene-rocket.jpg', 'fix', 'Keep the rocket unchanged. Make the sky purple.'));

    // validate warns first: of the other recipe given with it, then of its lock.
    const together = await cli(['validate', 'dup/a/one.yml', 'dup/b/two.yml'], { cwd: p.root, env });
    expect(together.code).toBe(0);
    expect(together.stderr).toContain(
      'warning: ../../final/hero/fix/photo.* is also an output of dup/b/two.yml (given in this command): ' +
        "the two recipes overwrite each other's files",
    );
    expect(together.stderr).toContain('warning: ../../final/hero/fix/photo.* is also an output of dup/a/one.yml');
    const both = await cli(['run', one, two], { cwd: p.root, env });
    expect(both.code, both.stderr).toBe(0);
    expect(both.stderr).toContain(
      'final/hero/fix/photo.png is also an output of the recipe of ../a/one.lock.json: ' +
        "the two recipes overwrite each other's files",
    );
    expect((await cli(['validate', two], { cwd: p.root, env })).stderr).toContain(
      'warning: ../../final/hero/fix/photo.png is also an output of the recipe of ../a/one.lock.json',
    );
    const twos = await readFile(hero('fix'));
    await writeFile(one, heroRecipe('portrait-astronaut.jpg', 'fix2', 'Keep the face unchanged. Make it teal.'));
    expect((await cli(['run', one], { cwd: p.root, env })).code).toBe(0);

    // Without two's lock, the dropped `fix` entry of one names a file holding other bytes (two's): kept.
    await rename(join(dirname(two), 'two.lock.json'), join(p.root, 'two.lock.json.aside'));
    const blind = await cli(['clean', one, '--dry-run', '--json'], { cwd: p.root, env });
    expect(JSON.parse(blind.stdout)).toMatchObject({ lock_entries: ['fix'], files: [] });
    await rename(join(p.root, 'two.lock.json.aside'), join(dirname(two), 'two.lock.json'));

    const cleanOne = await cli(['clean', one], { cwd: p.root, env });
    expect(cleanOne.code, cleanOne.stderr).toBe(0);
    expect(await readFile(hero('fix'))).toEqual(twos);
    const status = await cli(['status', two, '--json'], { cwd: p.root, env });
    expect((JSON.parse(status.stdout) as { orphaned: unknown[] }).orphaned).toEqual([]);
    expect((await cli(['clean', two], { cwd: p.root, env })).code).toBe(0);
    expect(existsSync(hero('fix2'))).toBe(true);
    expect(await readFile(hero('fix'))).toEqual(twos);
  }, 60_000);
});
