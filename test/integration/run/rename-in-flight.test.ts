/**
 * A request paid for but never locked (the run stopped while it ran) is in the journal only. When
 * its pass is then renamed, the renamed node asks exactly what it asked: it takes the request's
 * seed from the journal (src/run/orphans.ts, journalDonors), so its key is the request's and the
 * next run re-attaches to it instead of paying again, and the journal is left empty. A renamed
 * node that asks something else (its prompt changed too) takes nothing.
 */
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { journalFiles } from '../../helpers/journal-files.js';
import {
  createProject,
  recipeYaml,
  runIn,
  runStoppedOncePolled,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const KITE = 'Keep everything else unchanged. Add a kite in the sky.';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

/**
 * Two variants of `kite` submitted and journaled, then the run stopped: both stay journaled (paid).
 * `via`: the stopped run reaches the recipe through another path to its folder (a symlink).
 */
async function interrupted(via?: (p: Project) => Promise<Project>): Promise<{ rig: Rig; project: Project }> {
  // Queued until the run is stopped (runStoppedOncePolled), and never cancellable: the requests stay journaled.
  const r = await startRig({ queueMs: 20, runMs: 20, scenario: { faults: [{ kind: 'not-cancellable' }] } });
  const p = await createProject(recipeYaml([['kite', KITE, 'variants: 2']]));
  rig = r;
  project = p;
  expect(await runStoppedOncePolled(r, via ? await via(p) : p, 2)).toBe(130);
  expect(await journalFiles(p.cacheDir)).toHaveLength(2);
  return { rig: r, project: p };
}

describe('a pass renamed while its paid requests were unfinished', () => {
  it('re-attaches to them: nothing paid again, the journal emptied, the lock under the new ids', async () => {
    const { rig: r, project: p } = await interrupted();
    await p.writeRecipe(recipeYaml([['sky-kite', KITE, 'variants: 2']]));
    const run = await runIn(p, {}, { rig: r });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2, submitted: 0 });
    expect(r.submits().filter((s) => s.status === 200)).toHaveLength(2);
    expect(await journalFiles(p.cacheDir)).toEqual([]);
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['sky-kite#1', 'sky-kite#2']);
  }, 40_000);

  it('the stopped run reached the recipe through a symlinked folder: re-attached all the same', async () => {
    let link = '';
    try {
      const { rig: r, project: p } = await interrupted(async (p) => {
        link = `${p.root}-link`;
        await symlink(p.root, link);
        return { ...p, root: link, recipe: join(link, 'recipe.yml') };
      });
      await p.writeRecipe(recipeYaml([['sky-kite', KITE, 'variants: 2']]));
      const run = await runIn(p, {}, { rig: r });
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2, submitted: 0 });
      expect(await journalFiles(p.cacheDir)).toEqual([]);
    } finally {
      if (link) await rm(link, { force: true });
    }
  }, 40_000);

  it('a renamed pass that asks something else takes nothing from them', async () => {
    const { rig: r, project: p } = await interrupted();
    await p.writeRecipe(recipeYaml([['sky-kite', `${KITE} Make it red.`, 'variants: 2']]));
    const run = await runIn(p, {}, { rig: r });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2, submitted: 2 });
    expect(await journalFiles(p.cacheDir)).toHaveLength(2); // still the old pass's, for `kite` to re-attach to
  }, 40_000);
});
