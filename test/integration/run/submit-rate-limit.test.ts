/**
 * A run whose submit is refused with a 429 asking for 90 s (past the retry policy's usual bound):
 * the node waits it out (the run says so: a retry of 90 s and a warning naming the wait) and then
 * pays once; past the request's deadline it fails at once (75), naming the wait, its intent
 * cleared; Ctrl-C during the wait stops the run without anything paid. Long waits go through the
 * client's runtime sleep, noted and over at once: nothing really sleeps 90 s.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../../src/emulator/scenario.js';
import { createRuntime, runRecipe, type RunEvent } from '../../../src/index.js';
import {
  createProject,
  eventsOf,
  type Project,
  recipeYaml,
  type Rig,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
} from '../../helpers/run-fixtures.js';

let rig: Rig | undefined;
let project: Project | undefined;
afterEach(async () => {
  await rig?.close();
  await project?.cleanup();
  rig = undefined;
  project = undefined;
});

const REFUSED: Fault[] = [{ kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 90 }];
const RECIPE = recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']]);

/** A sleep whose waits of 10 s or more are noted and over at once. */
function fastLongSleeps(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; slept: number[] } {
  const real = createRuntime();
  const slept: number[] = [];
  return {
    slept,
    sleep: (ms, signal) => {
      if (ms < 10_000) return real.sleep(ms, signal);
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

const accepted = (r: Rig): number => r.submits().filter((e) => e.accepted === true).length;

describe('a submit refused with Retry-After: 90', () => {
  it('is waited out, the run saying so (retry and warning naming 90 s), then paid once', async () => {
    const { sleep, slept } = fastLongSleeps();
    rig = await startRig({ scenario: { faults: REFUSED }, sleep });
    project = await createProject(RECIPE);
    const run = await runIn(project, { jobs: 1 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1, failed: 0 });
    expect(slept).toEqual([90_000]);
    const retries = eventsOf(run.events, 'node-retry').map((e) => [e.node, e.call, e.delay_ms, e.reason]);
    expect(retries).toEqual([['a', 'submit', 90_000, 'HTTP 429']]);
    expect(eventsOf(run.events, 'warning').map((w) => [w.node, w.message])).toEqual([
      ['a', expect.stringMatching(/refused the submit for a \(HTTP 429\) and asks to wait 90 s: waiting 90 s/)],
    ]);
    expect(rig.submits().length).toBe(2);
    expect(accepted(rig)).toBe(1);
  });

  it('past the request deadline: the node fails at once (75) naming the wait, nothing journaled', async () => {
    const { sleep, slept } = fastLongSleeps();
    rig = await startRig({ scenario: { faults: REFUSED }, sleep, deadlineMs: 60_000 });
    project = await createProject(RECIPE);
    const run = await runIn(project, { jobs: 1 }, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 75, failed: 1 });
    expect(slept).toEqual([]);
    const failed = eventsOf(run.events, 'node-failed');
    expect(failed.map((e) => [e.node, e.code])).toEqual([['a', 'E_RATE_LIMITED']]);
    expect(failed[0]?.message).toMatch(/asks to wait 90 s .*more than the 60 s left before the request's deadline/);
    expect(accepted(rig)).toBe(0);
    // Refused: no intent left, so the next run neither reports the node maybe paid nor stops on it.
    expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
  });

  it('Ctrl-C during the wait: the run stops at once (130), not after the submit grace; nothing paid', async () => {
    rig = await startRig({ scenario: { faults: REFUSED } }); // the real sleep: 90 s unless stopped
    project = await createProject(RECIPE);
    const stop = new AbortController();
    const events: RunEvent[] = [];
    const onEvent = (e: RunEvent): void => {
      events.push(e);
      if (e.type === 'warning') stop.abort();
    };
    const result = await runRecipe(
      project.recipe,
      // Nothing is on the wire during the wait: the grace for a submit on the wire does not apply.
      { jobs: 1, signal: stop.signal, submitGraceMs: 120_000 },
      { rt: testRuntime(project.root), onEvent, session: rig.session },
    );
    expect(result.kind === 'run' && result.summary.exitCode).toBe(130);
    expect(eventsOf(events, 'node-skipped').map((e) => [e.node, e.reason])).toEqual([['a', 'interrupted']]);
    expect(eventsOf(events, 'warning').filter((w) => /still on the wire/.test(w.message))).toEqual([]);
    expect(accepted(rig)).toBe(0);
    expect(rig.submits().length).toBe(1);
    expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
  }, 30_000);
});
