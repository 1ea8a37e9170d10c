/**
 * A `--reseed` run interrupted while its request runs: the request is paid for and stays in the
 * journal, and the summary says the next run re-attaches to it. The lock still holds the node's
 * old seed, so the next run must key the node by the journal's seed (the one that was paid for),
 * not the lock's: else the lock keeps the old result, the paid one is never downloaded, and only
 * another `--reseed`, paying again, moves the node on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runRecipe, type RunEvent } from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
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

describe('a --reseed run interrupted while its request runs', () => {
  it('the next run re-attaches to that paid request (its seed), rather than keeping the lock', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig();
    const first = await runIn(project, {}, { rig });
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 1 });
    const before = (await project.readLock()).nodes['a'];

    rig.emulator.setScenario({ queue_ms: 0, run_ms: 1_500 });
    const stop = new AbortController();
    const events: RunEvent[] = [];
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type === 'node-state' && e.phase === 'running') stop.abort();
    };
    const reseeded = await runRecipe(
      project.recipe,
      { jobs: 1, reseed: ['a'], signal: stop.signal },
      { rt: testRuntime(project.root, {}, 7), onEvent, session: rig.session },
    );
    expect(reseeded.kind === 'run' && reseeded.summary.outcomeUnknown).toEqual(['a']);
    const [entry, ...more] = await (await openStore(project.cacheDir)).journal.list();
    expect(more).toEqual([]);
    expect(entry?.seed).not.toBe(before?.seed);
    expect(rig.submits()).toHaveLength(2);

    rig.emulator.setScenario({});
    const next = await runIn(project, {}, { rig });
    expect(summaryOf(next)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(eventsOf(next.events, 'node-start')[0]).toMatchObject({ node: 'a', reason: 'reattach' });
    expect(rig.submits()).toHaveLength(2);
    const after = (await project.readLock()).nodes['a'];
    expect([after?.seed, after?.request_id]).toEqual([entry?.seed, entry?.request_id]);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
  });
});
