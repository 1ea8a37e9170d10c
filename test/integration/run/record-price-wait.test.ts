/**
 * A paid result's record waits at most about a second for its price: a catalog look-up that
 * hangs (the model info read held by the emulator) does not hold the record write, which is made
 * without `cost_usd`; the run's summary still prices the request once the look-up is in.
 * Before, the record waited for the look-up (bounded only at 10 s) and Ctrl-C did not end that wait.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
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
  const dir = join(cacheDir, 'records');
  const names = (await readdir(dir, { recursive: true })).filter((n) => n.endsWith('.json'));
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8'))));
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
