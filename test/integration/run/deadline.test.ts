/**
 * A request still queued at its deadline: the wait cancels it. Cancelled (the API confirmed it
 * while queued), nothing is left to re-attach to and nothing was paid: its journal entry goes, the
 * summary does not name it as paid with an unknown outcome, and the spend takes it out where the
 * provider does not bill a queued cancel. Not cancellable, it stays journaled (paid, or maybe).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
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

describe('a request still queued at its deadline', () => {
  it('cancelled: exit 75, its journal entry gone, not named as paid, not in the spend', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'stuck' }] } });
    const run = await runIn(project, { deadlineMs: 300 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, outcomeUnknown: [] });
    expect(eventsOf(run.events, 'node-failed')[0]).toMatchObject({ code: 'E_TIMEOUT' });
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
    const [summary] = eventsOf(run.events, 'run-summary');
    expect(summary?.outcome_unknown).toBeUndefined();
    expect(summary?.spend).toMatchObject({ requests: 0, cancelled: 1 });
    expect(summary?.cost_usd).toBe(0);
  });

  it('not cancellable: kept in the journal and named as paid, outcome unknown', async () => {
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig({ scenario: { faults: [{ kind: 'stuck' }, { kind: 'not-cancellable' }] } });
    const run = await runIn(project, { deadlineMs: 300 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1, outcomeUnknown: ['a'] });
    expect(await (await openStore(project.cacheDir)).journal.list()).toHaveLength(1);
  });

  it('one deadline however many waits stray 404s split it into (review-r: each wait began it anew)', async () => {
    // A stray 404 (a proxy's, not the service's word) ends a wait, and the request is read again in a
    // new one. The poll backoff (10 ms × 1.5 up to 50 ms) makes 8 reads take ≥ 280 ms, so within a
    // 600 ms deadline at most two of the strays below can come; with a deadline per wait, all three did.
    project = await createProject(recipeYaml([['a', SKY]]));
    const strays = [8, 16, 24].map((nth) => ({
      kind: 'http' as const,
      on: 'status' as const,
      nth,
      status: 404,
      body: 'html' as const,
    }));
    rig = await startRig({ scenario: { faults: [{ kind: 'stuck' }, ...strays] } });
    const run = await runIn(project, { deadlineMs: 600, outputRereadMs: [10, 10, 10] }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1 });
    expect(eventsOf(run.events, 'node-failed')[0]).toMatchObject({ code: 'E_TIMEOUT' });
    const answered404 = rig.calls().filter((c) => c.path.endsWith('/status') && c.status === 404);
    expect(answered404.length).toBeGreaterThanOrEqual(1);
    expect(answered404.length).toBeLessThan(3);
  });

  it('a request read again as it finished without an output URL gets a whole deadline again (review-s)', async () => {
    // Finished at 300 ms, its first result has no output URL; the re-read comes after a 1.5 s pause,
    // past the 1 s deadline: it still reads (and takes) the output, nothing cancelled.
    project = await createProject(recipeYaml([['a', SKY]]));
    rig = await startRig({ runMs: 300, scenario: { faults: [{ kind: 'missing-output', nth: 1, times: 1 }] } });
    const run = await runIn(project, { deadlineMs: 1_000, outputRereadMs: [1_500] }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    expect(rig.calls().filter((c) => c.path.endsWith('/cancel'))).toEqual([]);
  });
});

describe('the wall clock stepped while a request waits (walk-ae 4, 8): deadlines and times go on', () => {
  const HOUR = 3_600_000;
  /** A run whose wall clock (the run's and the client's) is stepped by `stepMs` 200 ms after its node queued. */
  async function stepped(stepMs: number): Promise<{ run: Awaited<ReturnType<typeof runIn>>; rig: Rig }> {
    project = await createProject(recipeYaml([['a', SKY]]));
    let offset = 0;
    const now = (): number => Date.now() + offset;
    rig = await startRig({ queueMs: 600, now });
    const onEvent = (e: RunEvent): void => {
      if (e.type === 'node-state' && e.phase === 'queued' && offset === 0)
        setTimeout(() => {
          offset = stepMs;
        }, 200).unref();
    };
    return { run: await runIn(project, {}, { rig, now, onEvent }), rig };
  }

  it('an hour forward: the 30 min deadline does not fire, nothing is cancelled', async () => {
    const { run, rig } = await stepped(HOUR);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, failed: 0 });
    expect(rig.calls().filter((c) => c.path.endsWith('/cancel'))).toEqual([]);
  });

  it("an hour back: events' t never goes back, no duration is negative", async () => {
    const { run } = await stepped(-HOUR);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    const ts = run.events.map((e) => e.t);
    expect(ts.every((t, i) => t >= 0 && t >= (ts[i - 1] ?? 0))).toBe(true);
    expect(eventsOf(run.events, 'node-done')[0]?.ms).toBeGreaterThan(500);
    expect(eventsOf(run.events, 'run-summary')[0]?.ms).toBeGreaterThan(500);
  });
});
