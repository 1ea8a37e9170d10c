/**
 * Two recipes in one folder with the same `name:` share `out/<name>/` (a copy of a recipe to try
 * another pass, say). `kontext clean` of one must not remove what the other's lock names, nor
 * `kontext status` call it an orphan: before the fix both took the other recipe's outputs for
 * their own dropped passes (kontext's layout, bytes the cache knows) and clean deleted them.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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
