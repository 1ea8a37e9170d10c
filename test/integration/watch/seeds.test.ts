/**
 * Watch mode keeps keys stable across cycles: a seed the session chose (drawn, or from
 * `--reseed`) wins over the lock while its request is in flight, so the next cycle awaits it
 * instead of reverting to the lock's seed; `--reseed` and `--force` apply to the first cycle
 * only (later cycles re-run what changed, nothing more). A lock changed under the watcher (a `git
 * pull` of a teammate's reseed) is the truth: its seeds are taken, not written back over.
 */
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject, runIn, until, type Project } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep the face unchanged. Add a red scarf.',
  c: 'Keep the face unchanged. Add round glasses.',
};
const two = watchRecipe([
  ['a', P.a],
  ['b', P.b],
]);
const three = watchRecipe([
  ['a', P.a],
  ['b', P.b],
  ['c', P.c, 'from: photo'],
]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A plain run first, so the lock has seeds for a and b. */
async function lockFirst(p: Project, env: Record<string, string>): Promise<void> {
  await runIn(p, {}, { env, seed: 2 }); // not the rig's seed 1: a reseed must draw something new
}

describe('watch: seeds and one-shot flags', () => {
  it('a reseeded request in flight is awaited by the next cycle, not undone by the lock', async () => {
    let before: Record<string, number> = {};
    // a's reseeded request runs at the API until the next cycle has started (not a 1.2 s job to race).
    let release = (): void => undefined;
    rig = await startWatchRig(two, {
      options: { reseed: ['a'] },
      setup: async (p, env, emulator) => {
        await lockFirst(p, env);
        before = Object.fromEntries(Object.entries((await p.readLock()).nodes).map(([k, v]) => [k, v.seed]));
        emulator.setScenario({ queue_ms: 0 });
        release = emulator.hold('running');
      },
    });
    const first = await rig.cycleStarted(1);
    expect(rig.events[first]).toMatchObject({ to_run: [{ node: 'a', reason: 'seed-changed' }, { node: 'b' }] });
    const r = rig;
    await until(
      () => r.events.slice(first).some((e) => e.type === 'node-state' && e.node === 'a' && e.phase === 'running'),
      8_000,
      'a running',
    );

    rig.emulator.setScenario({ queue_ms: 0, run_ms: 20 });
    await rig.project.writeRecipe(three);
    await rig.cycleStarted(2);
    release();
    const cycle = await rig.cycleDone(2);
    expect(cycle).toMatchObject({ abandoned: 0, in_flight: 1 });
    expect(cycle.to_run.map((t) => t.node)).toEqual(['b', 'c']);
    const lock = await rig.project.readLock();
    expect(lock.nodes['a']?.seed).not.toBe(before['a']);
    expect(rig.submits().get(P.a)).toBe(2); // the plain run, then the reseed: never a third
    expect(rig.of('run-summary').at(-1)).toMatchObject({ failed: 0, done: 3 });
  });

  it('--force applies to the first cycle only', async () => {
    rig = await startWatchRig(two, { options: { force: ['b'] }, setup: lockFirst });
    const first = await rig.cycleDone(1);
    expect(first.to_run).toEqual([{ node: 'b', reason: 'forced' }]);
    await rig.project.writeRecipe(three);
    const second = await rig.cycleDone(2);
    expect(second.to_run).toEqual([{ node: 'c', reason: 'new' }]);
    expect(Object.fromEntries(rig.submits())).toEqual({ [P.a]: 1, [P.b]: 2, [P.c]: 1 });
  });

  it('a lock pulled under the watcher keeps its seeds: not written back, nothing paid (walk-aa 1)', async () => {
    const teammate = await createProject(two);
    try {
      rig = await startWatchRig(two, {
        setup: async (p, env) => {
          await lockFirst(p, env);
          // The teammate's clone: the same recipe and photo, `a` reseeded there, its lock and output committed.
          await runIn(teammate, {}, { env, seed: 2 });
          await runIn(teammate, { reseed: ['a'] }, { env, seed: 3 });
        },
      });
      await rig.cycleDone(1);
      const theirs = await teammate.readLock();
      const mine = await rig.project.readLock();
      expect(theirs.nodes['a']?.seed).not.toBe(mine.nodes['a']?.seed);
      // `git pull`: their lock and outputs replace ours, with the watcher running.
      const paidBefore = rig.submits().get(P.a);
      await cp(teammate.lockPath, rig.project.lockPath);
      await cp(teammate.outDir, rig.project.outDir, { recursive: true });
      await rig.project.writeRecipe(three);
      const cycle = await rig.cycleDone(2);
      expect(cycle.to_run.map((t) => t.node)).toEqual(['c']);
      const lock = await rig.project.readLock();
      expect(lock.nodes['a']).toEqual(theirs.nodes['a']);
      const out = theirs.nodes['a']?.output ?? '';
      expect(await readFile(join(rig.project.root, out))).toEqual(await readFile(join(teammate.root, out)));
      expect(rig.submits().get(P.a)).toBe(paidBefore);
    } finally {
      await teammate.cleanup();
    }
  });
});
