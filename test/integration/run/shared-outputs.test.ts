/**
 * Two recipes in one folder whose outputs land on the same files (same `name:`, same pass ids)
 * overwrite each other's results at every run. Nothing is paid (each run copies its own back
 * from the cache), but the folder never holds both: a run that wrote such a file warns, naming
 * it and the other recipe's lock (src/run/shared-outputs.ts). A renamed recipe's old lock (its
 * recipe gone) and recipes sharing a folder without sharing files give no warning.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type InProcessRun,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

const shared = (run: InProcessRun): string[] =>
  eventsOf(run.events, 'warning')
    .map((w) => w.message)
    .filter((m) => m.includes("overwrite each other's files"));

/** `p` with another recipe file of its folder as its recipe. */
const withRecipe = (p: Project, name: string): Project => ({ ...p, recipe: join(p.root, name) });

describe("recipes overwriting each other's outputs", () => {
  it('a run writing a file named by the lock of another recipe beside it warns, naming both', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    await writeFile(join(p.root, 'b.yml'), recipeYaml([['sky', 'Keep the face unchanged. Make the sky green.']]));
    const b = withRecipe(p, 'b.yml');

    const first = await runIn(p, {}, { rig });
    expect(shared(first)).toEqual([]); // b has no lock yet
    const second = await runIn(b, {}, { rig });
    expect(shared(second)).toEqual([
      'out/test/sky/photo.png is also an output of the recipe of recipe.lock.json: ' +
        "the two recipes overwrite each other's files " +
        '(nothing is paid: each run copies its own back from the cache); give each recipe its own out: folder',
    ]);
    const again = await runIn(p, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ submitted: 0, exitCode: 0 });
    expect(shared(again)).toEqual([expect.stringContaining('recipe of b.lock.json')]);
    // A run that writes nothing says nothing.
    expect(shared(await runIn(p, {}, { rig }))).toEqual([]);
    expect(rig.submits()).toHaveLength(2);
  });

  it('recipes whose names differ only by case: one folder on macOS, Windows or exFAT, said as such', async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    const upper = recipeYaml([['sky', 'Keep the face unchanged. Make the sky green.']]).replace(
      'name: test',
      'name: Test',
    );
    await writeFile(join(p.root, 'b.yml'), upper);
    await runIn(p, {}, { rig });
    const second = await runIn(withRecipe(p, 'b.yml'), {}, { rig });
    expect(summaryOf(second).exitCode).toBe(0);
    expect(shared(second)).toEqual([
      'out/Test/sky/photo.png is also an output of the recipe of recipe.lock.json, but for upper and lower case: ' +
        "on macOS, Windows or an exFAT disk they are one file, and the two recipes overwrite each other's files " +
        'there; give each recipe its own out: folder or name',
    ]);
  });

  it("a renamed recipe's old lock, and a shared folder without shared files: no warning", async () => {
    rig = await startRig();
    project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
    const p = project;
    await writeFile(join(p.root, 'b.yml'), recipeYaml([['snow', 'Keep everything else unchanged. Add snow.']]));
    expect(shared(await runIn(p, {}, { rig }))).toEqual([]);
    expect(shared(await runIn(withRecipe(p, 'b.yml'), {}, { rig }))).toEqual([]);

    await rename(p.recipe, join(p.root, 'c.yml')); // recipe.lock.json is now a stray
    await writeFile(join(p.root, 'c.yml'), recipeYaml([['sky', 'Keep the face unchanged. Make the sky red.']]));
    const renamed = await runIn(withRecipe(p, 'c.yml'), {}, { rig });
    expect(summaryOf(renamed).exitCode).toBe(0);
    expect(shared(renamed)).toEqual([]);
  });
});
