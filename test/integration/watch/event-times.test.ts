/**
 * A watch session's `warning` and `notice` events carry the clock of the cycle's run once it has
 * started (run/event-clock.ts), as a plain run's do: they said `t: 0` after events at t > 0.
 */
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky pink.';
const DOWN = 'http://127.0.0.1:9'; // nothing listens: refused

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: the time of warnings and notices', () => {
  it("those said during a cycle's run are on its clock", async () => {
    rig = await startWatchRig(watchRecipe([['a', A]]), {
      env: { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: DOWN, KONTEXT_REMOTE_CACHE: 's3://kontext-test/team' },
    });
    const r = rig;
    await r.cycleDone(1);
    await r.close();
    rig = undefined;
    const said = (e: RunEvent): boolean => e.type === 'warning' || e.type === 'notice';
    // The remote down: the uploads it could not make, told once watching ends, after the cycle's run.
    expect(r.events.filter((e) => e.type === 'notice').map((e) => e.message)).toContainEqual(
      expect.stringContaining('not uploaded'),
    );
    const start = r.events.findIndex((e) => e.type === 'run-start');
    const after = r.events.slice(start).filter(said);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.t > 0)).toBe(true);
  }, 30_000);

  it("one said before a later cycle's run is t 0, not ms since an earlier cycle's run", async () => {
    // No "keep … unchanged": the prompt lint warns while each cycle is planned, before its run.
    const linted = (prompt: string) => watchRecipe([['a', prompt]]);
    rig = await startWatchRig(linted("Make the man's jacket red."));
    const r = rig;
    await r.cycleDone(1);
    await new Promise((done) => setTimeout(done, 300)); // the second cycle's clock would read ≥ 300
    await writeFile(r.project.recipe, linted("Make the man's jacket blue."));
    await r.cycleDone(2);
    const second = r.events.findIndex(
      (e, i) => e.type === 'warning' && i > r.events.findIndex((x) => x.type === 'run-summary'),
    );
    expect(second).toBeGreaterThan(-1);
    expect(r.events[second]).toMatchObject({ type: 'warning', t: 0 });
  }, 30_000);
});
