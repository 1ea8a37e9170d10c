/**
 * Watch mode, what the session spent when one cycle cannot read a model's price: the catalog
 * look-up fails in the first cycle (its spend and the session's are unknown, never guessed);
 * the next cycle reads it, and that price then covers the session's requests, the first
 * cycle's included. And a cycle that replaced one whose queued request is being cancelled says the
 * session total once that cancel is in: the request as cancelled, not as paid (walk-aa 5).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import type { RunEvent } from '../../../src/index.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const chain = (b: string): string =>
  watchRecipe([
    ['a', 'Keep the face unchanged. Make the sky orange.'],
    ['b', b],
    ['c', 'Keep everything else unchanged. Add falling snow.'],
  ]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

type Summary = Extract<RunEvent, { type: 'run-summary' }>;

describe('watch: the session spend', () => {
  it('a price one cycle could not read is priced for the session once a later cycle reads it', async () => {
    rig = await startWatchRig(chain('Keep the face unchanged. Add a red scarf.'), {
      // The model info call fails (not retried) during the first cycle only.
      setup: async (_p, _env, emulator) =>
        emulator.setScenario({ queue_ms: 10, run_ms: 20, faults: [{ kind: 'http', on: 'model', status: 400 }] }),
    });
    await rig.cycleDone(1);
    const summaries = (r: WatchRig): Summary[] => r.events.filter((e): e is Summary => e.type === 'run-summary');
    const r = rig;
    const first = summaries(r)[0];
    expect([first?.cost_usd, first?.spend.unpriced, first?.session_spend?.cost_usd]).toEqual([null, 3, null]);

    rig.emulator.setScenario({ queue_ms: 10, run_ms: 20 });
    await rig.project.writeRecipe(chain('Keep the face unchanged. Add a blue scarf.'));
    await rig.cycleDone(2);
    const second = summaries(r)[1];
    expect(second?.cost_usd).toBe(0.08);
    expect(second?.session_spend).toEqual({
      cost_usd: 0.2,
      requests: 5,
      maybe_paid: 0,
      cancelled: 0,
      unpriced: 0,
      known_usd: 0.2,
    });
  });

  it('a queued request being cancelled as its cycle is replaced is not counted as paid', async () => {
    const scarf = 'Keep the face unchanged. Add a red scarf.';
    rig = await startWatchRig(chain(scarf));
    await rig.cycleDone(1);
    const r = rig;
    // The next request stays queued, and its cancel takes a while to be answered.
    rig.emulator.setScenario({ queue_ms: 60_000, faults: [{ kind: 'slow', on: 'cancel', delay_ms: 400 }] });
    await rig.project.writeRecipe(chain('Keep the face unchanged. Add a green scarf.'));
    await rig.cycleStarted(2);
    await until(
      () => r.events.some((e) => e.type === 'node-state' && e.node === 'b' && e.phase === 'queued'),
      8_000,
      'b queued',
    );
    await rig.project.writeRecipe(chain(scarf)); // back: every node cached, the queued request cancelled
    await rig.cycleDone(3);
    const last = r.events.filter((e): e is Summary => e.type === 'run-summary').at(-1);
    expect(last?.session_spend).toMatchObject({ requests: 3, cancelled: 1, maybe_paid: 0, cost_usd: 0.12 });
  });
});
