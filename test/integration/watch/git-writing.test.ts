/**
 * Watch mode while git writes the work tree (a checkout, a stash, a pull: git holds `.git/index.lock`
 * meanwhile): the cycle waits for the lock to go, so it plans the tree git leaves, not a half-switched
 * one (walk-aa 7: a recipe already switched with an asset not yet restored, its requests sent). The
 * lock file replaced by git (`git checkout <rev> -- recipe.lock.json`) while a cycle runs or while
 * idle is a change: a cycle plans from it and puts back the entries it lacks (walk-ak 3). Real
 * chokidar on real files, the emulator's request log as truth.
 */
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { recipeStatus } from '../../../src/index.js';
import { testRuntime, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  half: 'Keep the face unchanged. Make the sky green.',
  b: 'Keep the face unchanged. Make the sky purple.',
  scarf: 'Keep the face unchanged. Add a red scarf.',
  glasses: 'Keep the face unchanged. Add round glasses.',
};

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: git writing the tree', () => {
  it('no cycle plans while .git/index.lock is there; one plans what git left once it goes', async () => {
    rig = await startWatchRig(watchRecipe([['a', P.a]]));
    await rig.cycleDone(1);
    const lock = join(rig.project.root, '.git', 'index.lock');
    await writeFile(lock, '');
    await rig.project.writeRecipe(watchRecipe([['a', P.half]])); // git's first file
    await sleep(600); // well past the debounce: a cycle would have planned the half tree by now
    expect(rig.of('watch-cycle')).toHaveLength(1);
    await rig.project.writeRecipe(watchRecipe([['a', P.b]])); // git's last
    await rm(lock);
    const cycle = await rig.cycleDone(2);
    expect(cycle.to_run.map((t) => t.node)).toEqual(['a']);
    await sleep(300);
    expect(rig.submits().get(P.half)).toBeUndefined();
    expect(rig.submits().get(P.b)).toBe(1);
  });

  it('a lock replaced from outside, mid-cycle or idle, is a change: all nodes end up locked (walk-ak 3)', async () => {
    const three = (b: string): string =>
      watchRecipe([
        ['a', P.a],
        ['b', b],
        ['c', P.glasses, 'from: photo'],
      ]);
    rig = await startWatchRig(
      watchRecipe([
        ['a', P.a],
        ['b', P.scarf],
      ]),
    );
    await rig.cycleDone(1);
    const old = join(rig.project.root, '.git', 'old.lock.json'); // a commit's lock from before c existed
    await copyFile(rig.project.lockPath, old);
    await rig.project.writeRecipe(three(P.scarf));
    await rig.cycleDone(2);
    const full = (await rig.project.readLock()).nodes;
    // b re-runs, held at the API while git puts the old lock in place: its write merges into that one.
    const release = rig.emulator.hold('running');
    const running = rig.calls().length;
    await rig.project.writeRecipe(three(P.b));
    const r = rig;
    await until(
      () =>
        r
          .calls()
          .slice(running)
          .some((c) => c.method === 'GET'),
      8_000,
      'b polled',
    );
    await copyFile(old, rig.project.lockPath);
    release();
    const cycles = (): number => r.of('watch-cycle').length;
    await until(async () => cycles() >= 4 && Object.keys((await r.project.readLock()).nodes).length === 3, 8_000, 'c');
    await rig.session.idle();
    expect((await rig.project.readLock()).nodes['c']).toEqual(full['c']);
    // Idle: the old lock checked out again (b's entry the scarf's). A cycle, free, writes b and c back.
    const before = cycles();
    await copyFile(old, rig.project.lockPath);
    const idle = await rig.cycleDone(before + 1);
    expect(idle.changed).toEqual([rig.project.lockPath]);
    await until(async () => Object.keys((await r.project.readLock()).nodes).length === 3, 8_000, 'c back');
    const env = {
      RUNCOMFY_MODEL_API_BASE: rig.emulator.baseUrl,
      RUNCOMFY_TOKEN: 't',
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    };
    const status = await recipeStatus(rig.project.recipe, {}, { rt: testRuntime(rig.project.root, env) });
    expect(status.nodes.map((n) => [n.node, n.state])).toEqual([
      ['a', 'up-to-date'],
      ['b', 'up-to-date'],
      ['c', 'up-to-date'],
    ]);
    expect(Object.fromEntries(rig.submits())).toEqual({ [P.a]: 1, [P.scarf]: 1, [P.b]: 1, [P.glasses]: 1 });
    await sleep(400); // the cycles' own lock writes start none
    expect(cycles()).toBe(before + 1);
  });
});
