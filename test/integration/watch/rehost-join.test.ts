/**
 * Watch mode, a request a later cycle joined must be submitted again: the API could not fetch
 * its input (execute.ts re-hosts once). The cycle that submitted it was superseded, so it takes
 * no new work; the joining cycle submits the re-hosted request in its own -j slot (and the
 * cycles after it follow that one): paid once more, as a lone run's re-host is, never exit 70.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { lockMatchesFiles, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, submitsOf, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Add a red scarf.';
const X = 'Keep the face unchanged. Add a green scarf.';
const D1 = 'Keep the face unchanged. Add round glasses.';
const D2 = 'Keep the face unchanged. Add square glasses.';
/** a, b, and d on a's output: d's input is a's output URL at the emulator, which a re-host replaces. */
const recipe = (b: string, d: string): string =>
  watchRecipe([
    ['a', A],
    ['b', b],
    ['d', d, 'from: a'],
  ]);
const FETCH_FAILED = { code: 'image_fetch_failed', message: 'could not fetch image_url' };

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const accepted = (r: WatchRig, prompt: string) => submitsOf(r.calls(), prompt).filter((e) => e.accepted === true);

function since<T extends RunEvent['type']>(r: WatchRig, from: number, type: T): Extract<RunEvent, { type: T }>[] {
  return r.events.slice(from).filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

describe('watch: a joined request that must be submitted again', () => {
  it('is re-hosted and submitted by the joining cycle: paid once more, no internal error', async () => {
    rig = await startWatchRig(recipe(B, D1));
    await rig.cycleDone(1);
    // d's next request runs until the test releases it, then fails: the emulator could not fetch
    // its input (before, it ran 3 s, and the third cycle had to start within them).
    rig.emulator.setScenario({
      queue_ms: 0,
      run_ms: 20,
      faults: [{ kind: 'remote-failed', nth: 1, error: FETCH_FAILED }],
    });
    const release = rig.emulator.hold();
    await rig.project.writeRecipe(recipe(B, D2));
    const second = await rig.cycleStarted(2);
    const r0 = rig;
    await until(
      () => since(r0, second, 'node-state').some((e) => e.node === 'd' && e.phase === 'running'),
      8_000,
      'd running',
    );
    // b changes while d runs: the third cycle still wants d's request, and joins it.
    await rig.project.writeRecipe(recipe(X, D2));
    const third = await rig.cycleStarted(3);
    release();
    const cycle = await rig.cycleDone(3);
    expect([cycle.in_flight, cycle.to_run.map((t) => t.node)]).toEqual([1, ['b']]);
    // The fetch failed after the third cycle had joined (else it would not test the hand-over).
    const rehost = rig.events.findIndex(
      (e) => e.type === 'warning' && e.node === 'd' && e.message.includes('hosting it again'),
    );
    expect(rehost).toBeGreaterThan(third);

    const failed = since(rig, third, 'node-failed');
    expect(failed).toEqual([]);
    expect(since(rig, third, 'run-summary')).toMatchObject([{ exit_code: 0, done: 2, failed: 0 }]);
    // The request the fetch failed, and its one re-hosted submit (inline: a data URI).
    const d = accepted(rig, D2);
    expect(d).toHaveLength(2);
    expect(String(d[1]?.body?.['image_url'])).toMatch(/^data:image\//);
    expect(accepted(rig, X)).toHaveLength(1);
    expect(accepted(rig, A)).toHaveLength(1);
    const lock = await rig.project.readLock();
    const done = since(rig, third, 'node-done').find((e) => e.node === 'd');
    expect(lock.nodes['d']?.request_id).toBe(done?.request_id);
    expect((await lockMatchesFiles(rig.project)).every((e) => e.ok)).toBe(true);
    const r = rig;
    const journal = async (): Promise<string[]> =>
      (await readdir(join(r.project.cacheDir, 'journal')).catch(() => [] as string[])).filter((f) =>
        f.endsWith('.json'),
      );
    await until(async () => (await journal()).length === 0, 8_000, 'journal emptied');
  });
});
