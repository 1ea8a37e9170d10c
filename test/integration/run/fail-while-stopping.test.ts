/**
 * A node whose request was already under way when another node's failure stopped the run, and
 * which then fails at the API (moderated, say), is reported as failed with its reason, not as
 * "skipped: stopped after a failure": it was paid for, and the reason is what the user needs.
 * A node the stop itself cut short stays a skip (submit-wait-failure-stop.test.ts).
 */
import { afterEach, expect, it } from 'vitest';
import {
  createProject,
  eventsOf,
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
  rig = project = undefined;
});

it('a request under way that fails at the API after the stop is a failure, its reason kept', async () => {
  rig = await startRig({
    queueMs: 20,
    runMs: 600,
    scenario: {
      faults: [
        { kind: 'remote-failed', nth: 1, error: { code: 'content_moderated', message: 'flagged by the filter' } },
        { kind: 'http', on: 'submit', nth: 2, status: 400, message: 'bad request' },
      ],
    },
  });
  project = await createProject(
    recipeYaml([
      ['a', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
      ['b', 'Keep the face unchanged. Add a red scarf.', 'from: photo'],
    ]),
  );
  const run = await runIn(project, { jobs: 2 }, { rig });
  const failed = eventsOf(run.events, 'node-failed');
  expect(eventsOf(run.events, 'node-skipped')).toEqual([]);
  expect(failed.map((e) => e.code).sort()).toEqual(['E_INPUT_REJECTED', 'E_REMOTE_FAILED']);
  expect(failed.find((e) => e.code === 'E_REMOTE_FAILED')?.message).toContain('flagged by the filter');
  expect(summaryOf(run)).toMatchObject({ exitCode: 65, done: 0, failed: 2, skipped: 0, submitted: 1 });
}, 30_000);
