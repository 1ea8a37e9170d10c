/**
 * `--max-cost` while the run goes (src/run/cost-budget.ts), where the preflight cannot see: a
 * price the preflight read that cannot be read again when a node submits is exit 75 (run again),
 * not the "no published price" refusal, and no intent is left behind (it is reserved before the
 * intent is written); with what the recipes before it spent unknown, nothing is sent (review-w).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const SKY = 'Keep the face unchanged. Make the sky orange.';

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

describe('--max-cost while the run goes', () => {
  it('a price the preflight read, not read again at the submit: exit 75, nothing sent, no intent left', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    // The preflight's model-info read answers; every later one is a 503.
    rig = await startRig({
      scenario: { faults: [{ kind: 'http', on: 'model', nth: 2, times: 50, status: 503 }] },
      sleep: async () => undefined,
    });
    const run = await runIn(project, { maxCostUsd: 5 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, submitted: 0 });
    const [failed] = eventsOf(run.events, 'node-failed');
    expect(failed).toMatchObject({ code: 'E_MAX_COST_UNKNOWN_PRICE' });
    expect(failed?.message).toMatch(/could not be read again, so a is not submitted$/);
    expect(rig.submits()).toHaveLength(0);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
  });
});
