/**
 * Once the API accepted a submit, the node is waiting at the API: while its status reads time out
 * or are refused (429) before one answers, the progress line said "submitting (5 m 40 s)". The
 * run now says the node is queued (with its request id) as soon as the submit is accepted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createProject,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig;
let project: Project;
beforeEach(async () => {
  // The first three status reads are refused: the wait retries them before it learns any state.
  rig = await startRig({ scenario: { faults: [{ kind: 'http', on: 'status', status: 429, nth: 1, times: 3 }] } });
  project = await createProject(recipeYaml([['hat', 'Keep the face unchanged. Add a red hat.']]));
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

describe('a submit accepted, its status reads refused', () => {
  it('the node is queued (request id known) before the status retries, not still submitting', async () => {
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    const events = run.events;
    const firstRetry = events.findIndex((e) => e.type === 'node-retry' && e.call === 'status');
    expect(firstRetry).toBeGreaterThan(-1);
    const before = events.slice(0, firstRetry).filter((e) => e.type === 'node-state');
    const last = before[before.length - 1];
    expect(last).toMatchObject({ type: 'node-state', node: 'hat', phase: 'queued' });
    expect(last?.type === 'node-state' ? last.request_id : undefined).toBeTruthy();
  });
});
