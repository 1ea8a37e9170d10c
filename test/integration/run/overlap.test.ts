/**
 * Two overlapping runs of the same recipe (two runRecipe calls with different pids, sharing
 * the project, cache dir and lock file): the lock stays valid JSON with every node present —
 * no torn file, no lost entry — and each entry matches its output file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProject,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let project: Project;
let rig: Rig;
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

const nodes = (pass: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${pass}#${i + 1}`);

describe('overlapping runs of one recipe', () => {
  beforeEach(async () => {
    rig = await startRig({ queueMs: 5, runMs: 15 });
  });

  it('disjoint --only runs at the same time: both sets of entries end up in the lock', async () => {
    project = await createProject(
      recipeYaml([
        ['left', 'Keep the face unchanged. Make the sky orange.', 'variants: 5'],
        ['right', 'Keep the face unchanged. Add a red scarf.', 'from: photo', 'variants: 5'],
      ]),
    );
    const [a, b] = await Promise.all([
      runIn(project, { only: ['left'], jobs: 5 }, { rig, pid: 424_201, seed: 1 }),
      runIn(project, { only: ['right'], jobs: 5 }, { rig, pid: 424_202, seed: 2 }),
    ]);
    expect(summaryOf(a)).toMatchObject({ exitCode: 0, done: 5 });
    expect(summaryOf(b)).toMatchObject({ exitCode: 0, done: 5 });
    const lock = await project.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual([...nodes('left', 5), ...nodes('right', 5)].sort());
    expect((await lockMatchesFiles(project)).filter((r) => !r.ok)).toEqual([]);
  });

  it('the whole recipe twice at the same time: valid lock, every node present and consistent', async () => {
    project = await createProject(
      recipeYaml([
        ['sky', 'Keep the face unchanged. Make the sky orange.', 'seed: 10', 'variants: 4'],
        ['snow', 'Keep everything else unchanged. Add falling snow.', 'seed: 20'],
        ['scarf', 'Keep the face unchanged. Add a red scarf.', 'from: photo', 'seed: 30', 'variants: 3'],
      ]),
    );
    const runs = await Promise.all([
      runIn(project, { jobs: 4 }, { rig, pid: 424_301, seed: 3 }),
      runIn(project, { jobs: 3 }, { rig, pid: 424_302, seed: 4 }),
    ]);
    for (const r of runs) expect(summaryOf(r).exitCode).toBe(0);
    const expected = [...nodes('sky', 4), ...nodes('snow', 4), ...nodes('scarf', 3)].sort();
    const lock = await project.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual(expected);
    expect((await lockMatchesFiles(project)).filter((r) => !r.ok)).toEqual([]);
    expect(lock.nodes['sky#2']?.seed).toBe(11);

    const callsBefore = rig.calls().length;
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ cached: expected.length, submitted: 0 });
    expect(rig.calls().length).toBe(callsBefore);
  });
});
