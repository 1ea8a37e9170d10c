/**
 * A submit refused with `Retry-After: 90` waits it out between attempts; when another node fails
 * meanwhile (no `--keep-going`), the run stops: the wait ends at once, nothing is sent again, the
 * intent is cleared, the node is skipped as stopped, and the run ends when the other node fails.
 * Before, the wait went on and the submit was sent (and paid) after the run had stopped.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Fault } from '../../../src/emulator/scenario.js';
import { createRuntime } from '../../../src/index.js';
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
  rig = undefined;
  project = undefined;
});

/** Long waits (10 s or more) held for at most 8 s, or until stopped; noted either way. */
function heldLongSleeps(): {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  waits: { ms: number; stopped: boolean }[];
} {
  const real = createRuntime();
  const waits: { ms: number; stopped: boolean }[] = [];
  return {
    waits,
    sleep: async (ms, signal) => {
      if (ms < 10_000) return real.sleep(ms, signal);
      const wait = { ms, stopped: false };
      waits.push(wait);
      try {
        await real.sleep(8_000, signal);
      } catch (e) {
        wait.stopped = signal?.aborted === true;
        throw e;
      }
    },
  };
}

const FAULTS: Fault[] = [
  { kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 90 },
  { kind: 'http', on: 'submit', nth: 2, status: 400, message: 'bad request' },
];
const RECIPE = recipeYaml([
  ['a', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
  ['b', 'Keep the face unchanged. Add a red scarf.', 'from: photo'],
]);

it('a failure stops a submit waiting out Retry-After: not sent, skipped as stopped, intent cleared', async () => {
  const { sleep, waits } = heldLongSleeps();
  rig = await startRig({ scenario: { faults: FAULTS }, sleep });
  project = await createProject(RECIPE);
  const run = await runIn(project, { jobs: 2 }, { rig });
  // Which node is refused first is up to the race: one fails (400), the other waits and is stopped.
  const failed = eventsOf(run.events, 'node-failed').map((e) => e.node);
  const skipped = eventsOf(run.events, 'node-skipped').map((e) => [e.node, e.reason]);
  expect(failed).toHaveLength(1);
  expect(skipped).toEqual([[failed[0] === 'a' ? 'b' : 'a', 'stopped']]);
  expect(summaryOf(run)).toMatchObject({ exitCode: 65, done: 0, failed: 1, skipped: 1, submitted: 0 });
  expect(rig.submits().length).toBe(2);
  expect(rig.submits().filter((e) => e.accepted === true)).toEqual([]);
  // The wait was asked for and stopped (or never began: the failure came first), not held out.
  expect(waits.every((w) => w.ms === 90_000 && w.stopped)).toBe(true);
  expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
}, 30_000);
