/**
 * Ctrl-C during a run whose reviews lag behind its nodes: the reviews not begun are not made
 * (walk-t: a 10,000-node run waited 17–20 s on its backlog of change maps before exiting 130,
 * saying nothing meanwhile); one notice says how many, no warning per node; the results stay
 * locked, and `kontext report` makes the missing reviews when asked.
 */
import { afterEach, expect, it } from 'vitest';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import { createProject, recipeYaml, summaryOf, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

it('the reviews not begun are dropped at Ctrl-C, said once; the run ends 130 with its results locked', async () => {
  project = await createProject(
    recipeYaml(
      Array.from({ length: 6 }, (_, i): [string, string] => [`p${i}`, `Keep the face unchanged. Add hat ${i}.`]),
    ).replace(/sources:\n {2}photo: .*\n/, 'sources:\n  photo: assets/*.jpg\n'),
  );
  const controller = new AbortController();
  const events: RunEvent[] = [];
  let done = 0;
  const onEvent = (e: RunEvent): void => {
    events.push(e);
    // Jobs of a few ms at -j 16 finish far faster than two reviews at a time decode 1024 px photos.
    if (e.type === 'node-done' && ++done === 8) controller.abort();
  };
  const rt = testRuntime(project.root);
  const fast = { ...rt, env: { ...rt.env, KONTEXT_EMULATOR_QUEUE_MS: '1', KONTEXT_EMULATOR_RUN_MS: '2' } };
  const result = await runRecipe(project.recipe, { jobs: 16, signal: controller.signal }, { rt: fast, onEvent });
  expect(summaryOf({ result, events, rt })).toMatchObject({ exitCode: 130 });
  const notices = events.filter((e) => e.type === 'notice' && /not made \(interrupted\)/.test(e.message));
  expect(notices).toHaveLength(1);
  expect(events.filter((e) => e.type === 'warning' && e.message.startsWith('no change map'))).toEqual([]);
  const lock = await project.readLock();
  const doneNodes = events.filter((e) => e.type === 'node-done').map((e) => e.node);
  expect(Object.keys(lock.nodes).sort()).toEqual(doneNodes.sort());
}, 60_000);
