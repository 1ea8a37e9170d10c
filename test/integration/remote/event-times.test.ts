/**
 * `warning` and `notice` events carry the run's clock, as every other event does ("ms since the
 * run started"): they are made where no clock is known (the remote cache's upload notices, the
 * provider session's warnings, …) and all said `t: 0`, even after events at t > 0. One said
 * before the run starts (a prompt's lint, at load) keeps `t: 0`: there is no run yet.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.js';
import { recipeYaml } from '../../helpers/run-fixtures.js';
import { notices, useWorld } from './harness.js';

const DOWN = 'http://127.0.0.1:9'; // nothing listens: refused
// The second pass's prompt is over 80 words: a lint warning at load, before the run starts.
const LONG = `Keep the face unchanged. Add a red scarf${' with a fringe'.repeat(30)}.`;
const world = useWorld(
  recipeYaml([
    ['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo', 'seed: 11'],
    ['scarf', LONG, 'from: photo', 'seed: 12'],
  ]),
);

const said = (e: RunEvent): boolean => e.type === 'warning' || e.type === 'notice';

describe('the time of warnings and notices', () => {
  it('after run-start, on the run clock (never back to 0); before it, 0', async () => {
    const w = world();
    // The remote down: told after the run's requests, as the uploads it could not make.
    const run = await w.run(w.a, {}, w.env({}, DOWN));
    expect(notices(run)).toContainEqual(expect.stringContaining('not uploaded'));
    const start = run.events.findIndex((e) => e.type === 'run-start');
    expect(start).toBeGreaterThan(0);
    const before = run.events.slice(0, start).filter(said);
    expect(before.map((e) => [e.type, e.t])).toContainEqual(['warning', 0]); // the lint
    expect(before.every((e) => e.t === 0)).toBe(true);
    // From run-start on, one clock: each event's t at least the one before it, the uploads' notice late.
    const during = run.events.slice(start);
    const times = during.map((e) => e.t);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const upload = during.find((e) => e.type === 'notice' && e.message.includes('not uploaded'));
    const firstDone = during.find((e) => e.type === 'node-done');
    expect(firstDone?.t).toBeGreaterThan(0);
    expect(upload?.t).toBeGreaterThanOrEqual(firstDone?.t ?? Number.POSITIVE_INFINITY);
  }, 60_000);
});
