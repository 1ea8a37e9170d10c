/**
 * Watch mode: a pass renamed while its requests run. The renamed nodes ask exactly what the
 * running requests ask: they take those requests' seeds from the journal (src/run/orphans.ts,
 * journalDonors), so the next cycle awaits them instead of submitting again ("renames are free").
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const KITE = 'Keep everything else unchanged. Add a kite in the sky.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: a pass renamed while its requests run', () => {
  it('the next cycle awaits them: nothing submitted again', async () => {
    let release = (): void => undefined;
    const r = (rig = await startWatchRig(watchRecipe([['kite', KITE, 'variants: 2']]), {
      // Both requests run until the renamed cycle has planned.
      setup: async (_p, _env, emulator) => {
        release = emulator.hold();
      },
    }));
    const running = (): number =>
      new Set(
        r
          .of('node-state')
          .filter((e) => e.phase === 'running')
          .map((e) => e.node),
      ).size;
    await until(() => running() === 2, 8_000, 'both variants running');
    await r.project.writeRecipe(watchRecipe([['sky-kite', KITE, 'variants: 2']]));
    await r.cycleStarted(2);
    release();
    const cycle = await r.cycleDone(2);
    expect([cycle.to_run.map((t) => t.node), cycle.in_flight]).toEqual([[], 2]);
    expect(r.submits().get(KITE)).toBe(2);
    await until(
      async () => Object.keys((await r.project.readLock().catch(() => ({ nodes: {} }))).nodes).length === 2,
      8_000,
      'the renamed nodes locked',
    );
    expect(Object.keys((await r.project.readLock()).nodes).sort()).toEqual(['sky-kite#1', 'sky-kite#2']);
    expect(r.submits().get(KITE)).toBe(2);
  }, 40_000);
});
