/**
 * A run that finds the node it would submit held by another live run of this same process (a
 * watch whose prompt went A → B → A while A's request ran; an embedder running two recipes that
 * share a cache) waits for that run's record, pays nothing, and says the run is this process's
 * own: not "pid <its own pid>", which read as some other program paying beside it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
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

describe('waiting for a run of this same process that is submitting the node', () => {
  // Under --max-cost 0 too: a node that only waits pays nothing, so holds no share (review-x).
  it.each([
    ['', {}],
    [' (under --max-cost 0)', { maxCostUsd: 0 }],
  ])('says it is this process, takes its record, pays once%s', async (_, options) => {
    const x = await createProject(RECIPE);
    const y = await createProject(RECIPE);
    projects.push(x, y);
    rig = await startRig({ queueMs: 0, runMs: 20 });
    const r = rig;
    const env = { KONTEXT_CACHE_DIR: join(x.root, 'shared-cache') };
    // The first run's request runs until the second says it waits for it.
    const release = r.emulator.hold('running');
    const waiting = (e: RunEvent): void => {
      if (e.type === 'warning' && e.message.startsWith('waiting for another kontext run')) release();
    };
    // Both runs are this process (its real pid): the second finds the first's live intent.
    const first = runIn(x, {}, { rig, env });
    await until(() => r.submits().length === 1, 8_000, 'the first run to submit');
    const second = await runIn(y, options, { rig, env, onEvent: waiting });
    const done = await first;
    expect([summaryOf(done).exitCode, summaryOf(second).exitCode]).toEqual([0, 0]);
    const warned = eventsOf(second.events, 'warning').map((w) => w.message);
    expect(warned).toContain('waiting for another kontext run in this process that is submitting this node');
    expect(warned.join('\n')).not.toContain(`pid ${String(process.pid)}`);
    expect(r.submits()).toHaveLength(1);
    expect(summaryOf(second)).toMatchObject({ submitted: 0 });
  });
});
