/**
 * A node whose request is still in the journal (submitted, paid, never recorded) re-attaches
 * to it on the next run: the dry run, `--explain` and the run's `node-start` say so
 * (`reattach`), instead of calling it new.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createProject,
  eventsOf,
  recipeYaml,
  runIn,
  startRig,
  summaryOf,
  until,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

describe('re-attached nodes', () => {
  it('are labelled reattach in the dry run, --explain and the run', async () => {
    // Queued until the run is stopped, and never cancellable: the request stays journaled.
    rig = await startRig({ queueMs: 20, runMs: 20, scenario: { faults: [{ kind: 'not-cancellable' }] } });
    const r = rig;
    project = await createProject(recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]));
    const release = r.emulator.hold('queued');
    const stop = new AbortController();
    const first = runIn(project, { signal: stop.signal }, { rig });
    // The journal entry is on disk before the first status poll.
    await until(() => r.calls().some((c) => c.method === 'GET' && c.path.endsWith('/status')), 20_000, 'first poll');
    stop.abort();
    expect(summaryOf(await first).exitCode).toBe(130);
    release();

    const dry = await runIn(project, { dryRun: true }, { rig });
    if (dry.result.kind !== 'dry-run') throw new Error('expected a dry run');
    expect(dry.result.report.rows.map((row) => [row.node, row.reason])).toEqual([['a', 'reattach']]);

    const run = await runIn(project, { explain: true }, { rig });
    expect(eventsOf(run.events, 'node-plan').map((e) => e.reason)).toEqual(['reattach']);
    expect(eventsOf(run.events, 'node-start').map((e) => [e.reason, e.claim])).toEqual([['reattach', 'attach']]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, submitted: 0 });
    expect(rig.submits().filter((s) => s.status === 200)).toHaveLength(1);
  }, 40_000);
});
