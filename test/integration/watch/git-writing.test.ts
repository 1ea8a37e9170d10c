/**
 * Watch mode while git writes the work tree (a checkout, a stash, a pull: git holds `.git/index.lock`
 * meanwhile): the cycle waits for the lock to go, so it plans the tree git leaves, not a half-switched
 * one (walk-aa 7: a recipe already switched with an asset not yet restored, its requests sent). Real
 * chokidar on real files, the emulator's request log as truth.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  half: 'Keep the face unchanged. Make the sky green.',
  b: 'Keep the face unchanged. Make the sky purple.',
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
});
