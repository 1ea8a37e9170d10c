/**
 * A cycle's run that throws (its `done` rejects: a lock it cannot write, any exception that stops
 * the run before its summary) reaches the watcher's `onCycleError`. Only the listener's own
 * E_EVENT_LISTENER did: anything else was dropped, so the cycle emitted `watch-cycle` and then
 * nothing: no summary, no `watch-error`, no `onCycleError`, `idle()` resolved. And a session made
 * without `jobs` (a JavaScript caller) runs its cycles at the default 4, as `runRecipe` does.
 * The run rejects only once its work is done: the node's review is stored by then (it was still
 * being written into the cache after the rejection, and the test's clean-up met it).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { KontextError, RunRecipeOptions } from '../../../src/index.js';
import { until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky pink.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: a cycle whose run throws', () => {
  it('a lock it cannot write (a folder in its place): told to onCycleError, not dropped', async () => {
    let lockPath = '';
    let cacheDir = '';
    // The record as it is the moment the error is told (read later, a late review would have landed).
    let reviewAtError: unknown = 'not told';
    rig = await startWatchRig(watchRecipe([['a', A]]), {
      onCycleError: () => {
        const records = join(cacheDir, 'records');
        const files = readdirSync(records, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
        const record = JSON.parse(readFileSync(join(records, files[0] ?? ''), 'utf8')) as { review?: unknown };
        reviewAtError = files.length === 1 ? record.review : `${files.length} records`;
      },
      runMs: 100,
      // Once planned (the lock read), a folder where the run's lock write goes.
      onEvent: (e) => {
        if (e.type === 'node-start' && lockPath !== '') mkdirSync(lockPath);
      },
      setup: async (p) => {
        lockPath = p.lockPath;
        cacheDir = p.cacheDir;
      },
    });
    const r = rig;
    await r.cycleStarted(1);
    await until(
      () => r.errors.length > 0,
      10_000,
      'the cycle error',
      () => JSON.stringify(r.events.map((e) => e.type)),
    );
    expect(r.errors).toHaveLength(1);
    const [error] = r.errors;
    expect(error).toBeInstanceOf(Error);
    // Whatever it is, it names the lock it could not write.
    expect(`${(error as Error).message} ${String((error as KontextError).hint ?? '')}`).toContain('lock.json');
    // The request itself was paid once (its result is in the cache for the next cycle).
    expect(r.submits().get(A)).toBe(1);
    // ...and its record carried its review when the error was told: nothing was still writing.
    expect(reviewAtError).toMatchObject({ changed_pct: expect.any(Number) });
  }, 30_000);

  it('jobs left out: the cycles run at 4, as a plain run', async () => {
    rig = await startWatchRig(watchRecipe([['a', A]]), {
      options: { jobs: undefined } as unknown as Partial<RunRecipeOptions>,
    });
    await rig.cycleDone(1);
    expect(rig.errors).toEqual([]);
    expect(rig.of('run-start')).toMatchObject([{ jobs: 4 }]);
    expect(rig.of('run-summary')).toMatchObject([{ exit_code: 0, done: 1 }]);
    expect(rig.submits().get(A)).toBe(1);
  }, 30_000);
});
