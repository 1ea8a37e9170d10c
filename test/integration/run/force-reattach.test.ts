/**
 * A `--force` run interrupted while its request runs (walk-r 2): a forced node keeps its seed, so
 * its paid request has the key the lock already names. The next plain run finds the node up to
 * date and never re-attaches; it must say so, with the command that collects the request at no
 * new charge (`--force` of the node), and that command must indeed submit nothing.
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
const HAT = 'Keep the face unchanged. Add a red hat.';

let project: Project | undefined;
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

describe('a --force run interrupted while its request runs', () => {
  it('the next plain run names the paid request and --force collects it without a new submit', async () => {
    project = await createProject(
      recipeYaml([
        ['a', SKY],
        ['b', HAT, 'from: a'],
      ]),
    );
    rig = await startRig();
    expect(summaryOf(await runIn(project, {}, { rig }))).toMatchObject({ exitCode: 0, done: 2 });
    const before = (await project.readLock()).nodes['a'];
    rig.emulator.setScenario({ queue_ms: 0, run_ms: 1_500 });
    const stop = new AbortController();
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'node-state' && e.phase === 'running') stop.abort();
    };
    const forced = await runRecipe(
      project.recipe,
      { jobs: 1, only: ['a'], force: ['a'], signal: stop.signal },
      { rt: testRuntime(project.root, {}, 7), onEvent, session: rig.session },
    );
    expect(forced.kind === 'run' && forced.summary.outcomeUnknown).toEqual(['a']);
    const [entry] = await (await openStore(project.cacheDir)).journal.list();
    expect(entry?.request_id).toBeDefined();
    expect(entry?.request_id).not.toBe(before?.request_id);
    expect(rig.submits()).toHaveLength(3);
    rig.emulator.setScenario({});

    const plain = await runIn(project, {}, { rig });
    expect(summaryOf(plain)).toMatchObject({ exitCode: 0, submitted: 0 });
    const notices = eventsOf(plain.events, 'notice').map((e) => e.message);
    expect(notices).toContainEqual(expect.stringContaining(`not collected: a (request ${entry?.request_id})`));
    expect(notices).toContainEqual(expect.stringContaining('--force a collects them at no new charge while the'));
    // Not promised once the provider lost it: then --force pays anew (review-y 1).
    expect(notices).toContainEqual(expect.stringContaining('once gone, --force submits anew and pays'));
    expect(await (await openStore(project.cacheDir)).journal.list()).toHaveLength(1);

    const collect = await runIn(project, { only: ['a'], force: ['a'] }, { rig });
    expect(summaryOf(collect)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(rig.submits()).toHaveLength(3);
    expect(eventsOf(collect.events, 'node-done')[0]?.request_id).toBe(entry?.request_id);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
    // The emulator draws the same image for the same seed: the lock keeps its entry, b stays cached.
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(eventsOf(again.events, 'notice')).toEqual([]);
  });
});
