/**
 * `kontext status` on a lock that names another result for a node (another provider's, written by a
 * one-off `--provider` run; an older prompt's) while the file at the node's output path holds the
 * cached result of the node as it asks now: not up to date, since the run rewrites that lock entry
 * (walk-ab 1: `status --exit-code` passed a committed lock that did not describe the recipe). The
 * run then restores it from the cache, paying nothing, and status is clean again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recipeStatus } from '../../../src/index.js';
import {
  createProject,
  isSubmit,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig;
let project: Project;
beforeEach(async () => {
  rig = await startRig();
  project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']]));
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

describe('status with a lock that names another result', () => {
  it('is not up to date (restorable), the run restores it for nothing, then status is clean', async () => {
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 1 });
    const lock = JSON.parse(await readFile(project.lockPath, 'utf8')) as {
      nodes: Record<string, { key: string }>;
    };
    const own = lock.nodes['sky']?.key ?? '';
    // The entry another request wrote (another provider's key), the output file left as it is.
    (lock.nodes['sky'] as { key: string }).key = 'f'.repeat(64);
    await writeFile(project.lockPath, `${JSON.stringify(lock, null, 2)}\n`);

    const rt = testRuntime(project.root);
    const stale = await recipeStatus(project.recipe, {}, { rt });
    expect(stale.nodes.map((n) => [n.node, n.state, n.restorable])).toEqual([['sky', 'missing', true]]);
    expect(stale.dirty).toBe(true);

    const submits = rig.calls().filter(isSubmit).length;
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(rig.calls().filter(isSubmit)).toHaveLength(submits);
    expect((JSON.parse(await readFile(project.lockPath, 'utf8')) as typeof lock).nodes['sky']?.key).toBe(own);
    const after = await recipeStatus(project.recipe, {}, { rt });
    expect(after.nodes.map((n) => n.state)).toEqual(['up-to-date']);
    expect(after.dirty).toBe(false);
  });
});
