/**
 * `--force` of a node whose request another live run (another recipe sharing the cache) has in
 * flight: the forced run neither re-attaches to that request (it would poll and download it a
 * second time, and drop the other run's entry) nor takes its record in place of submitting. It
 * waits for the other run to give the key up, then submits its own request: exactly two paid,
 * both runs exit 0, no intent left. In-process runs standing for two processes (two pids).
 */
import { join } from 'node:path';
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
  until,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const RECIPE = recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.', 'seed: 5']]);

const projects: Project[] = [];
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  for (const p of projects.splice(0)) await p.cleanup();
  rig = undefined;
});

describe('--force beside another live run of the same request', () => {
  it('waits for that run to give the key up, then pays for its own request', async () => {
    const x = await createProject(RECIPE);
    const y = await createProject(RECIPE);
    projects.push(x, y);
    rig = await startRig({ queueMs: 0, runMs: 20 });
    const r = rig;
    const env = { KONTEXT_CACHE_DIR: join(x.root, 'shared-cache') };
    // The first run's request runs until the forced run says it waits for it.
    const release = r.emulator.hold('running');
    const waiting = (e: RunEvent): void => {
      if (e.type === 'warning' && e.message.startsWith('waiting for another kontext run')) release();
    };
    const first = runIn(x, {}, { rig, env, pid: 900_021 });
    await until(() => r.submits().length === 1, 8_000, 'the first run to submit');
    const forced = await runIn(y, { force: ['a'] }, { rig, env, pid: 900_022, onEvent: waiting });
    const done = await first;
    expect([summaryOf(done).exitCode, summaryOf(forced).exitCode]).toEqual([0, 0]);
    const warned = eventsOf(forced.events, 'warning').map((w) => w.message);
    expect(warned.some((m) => /waiting for another kontext run \(pid 900021\)/.test(m))).toBe(true);
    expect(r.submits()).toHaveLength(2);
    const [lockX, lockY] = [await x.readLock(), await y.readLock()];
    expect(lockY.nodes['a']?.request_id).not.toBe(lockX.nodes['a']?.request_id);
    expect(summaryOf(forced)).toMatchObject({ submitted: 1, uncertain: [], outcomeUnknown: [] });
    expect(await (await openStore(join(x.root, 'shared-cache'))).journal.list()).toEqual([]);
  });
});
