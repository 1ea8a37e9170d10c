import { afterEach, expect, it } from 'vitest';
import { recordFiles } from '../../helpers/record-files.js';
import {
  createProject,
  type Project,
  recipeYaml,
  type Rig,
  runIn,
  startRig,
  summaryOf,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

async function records(cacheDir: string): Promise<{ node: string; cost_usd?: number }[]> {
  return (await recordFiles(cacheDir)).map(({ record }) => record as { node: string; cost_usd?: number });
}

it('a price look-up held for 5 s: the record is written without waiting for it, unpriced', async () => {
  rig = await startRig({ scenario: { faults: [{ kind: 'slow', on: 'model', delay_ms: 5_000 }] }, priceUsd: 0.04 });
  project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.', 'from: photo']]));
  const run = await runIn(project, { jobs: 1 }, { rig });
  expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, costUsd: 0.04 });
  const [record, ...more] = await records(project.cacheDir);
  expect(more).toEqual([]);
  expect(record).toMatchObject({ node: 'a' });
  expect(record?.cost_usd).toBeUndefined();
}, 30_000);
