/**
 * Watch mode, what happens at or around a watched folder that changes nothing the recipe reads
 * starts no cycle, and a symlink retargeted is followed (real chokidar on real files, the
 * emulator's request log as truth). One rig, the sources folder a symlink to a folder from the
 * start: each step is followed by a save through the link that starts exactly one cycle, for
 * that file alone (its `changed` is that file: nothing else was folded into it or ran before it).
 */
import { renameSync, rmSync, symlinkSync } from 'node:fs';
import { cp, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/run-fixtures.js';
import { pngHolding } from '../../helpers/test-images.js';
import { cyclesSince, globRecipe, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the subject unchanged. Replace the background with white.';
/** Longer than GAP_MS: no cycle looks while the project folder is away. */
const QUIET_MS = 300;
const GAP_MS = 100;

const RECIPE = globRecipe('assets/*.{jpg,png}', [['a', A]]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** Wait until `n` more requests were paid since `paid`, and the cycle that paid them is over. */
async function paidUpTo(r: WatchRig, n: number, from: number): Promise<void> {
  const what = () => JSON.stringify(r.events.slice(from).filter((e) => e.type.startsWith('watch')));
  await until(() => r.submits().get(A) === n, 8_000, `${n} requests paid`, what);
  await r.session.idle();
}

/** Save `assets/<name>` with new bytes: exactly one cycle since event `from`, told of that file, runs its node. */
async function saveStartsOne(r: WatchRig, name: string, from: number): Promise<void> {
  const paid = r.submits().get(A) ?? 0;
  const file = join(r.project.root, 'assets', name);
  await writeFile(file, pngHolding(`${name} saved after ${paid}`, 8, 8));
  await paidUpTo(r, paid + 1, from);
  expect(cyclesSince(r, from)).toEqual([{ changed: [file], ran: [`a@${name.replace('.jpg', '')}`] }]);
  expect(r.errors).toEqual([]);
}

describe('watch: moves around a watched folder', () => {
  it('assets -> real-assets: start, assets/assets made, the link retargeted, project moved and back', async () => {
    rig = await startWatchRig(RECIPE, {
      debounceMs: QUIET_MS,
      setup: async (p) => {
        await rename(join(p.root, 'assets'), join(p.root, 'real-assets'));
        await symlink('real-assets', join(p.root, 'assets'));
        // The same names; one of them with other bytes.
        await cp(join(p.root, 'real-assets'), join(p.root, 'other'), { recursive: true });
        await writeFile(join(p.root, 'other', 'pet-chelsea.jpg'), pngHolding('the other pet', 8, 8));
      },
    });
    const r = rig;
    const root = r.project.root;
    // Started on a symlink: the first cycle's follow tells of no change of its own.
    await r.cycleDone(1);
    expect(r.submits().get(A)).toBe(4);
    await saveStartsOne(r, 'pet-chelsea.jpg', (await r.cycleStarted(1)) + 1);

    // A child folder named like the watched one.
    let from = r.events.length;
    await mkdir(join(root, 'assets', 'assets'));
    await saveStartsOne(r, 'portrait-astronaut.jpg', from);

    // rm assets && ln -s other assets: one cycle, paying for the one file whose bytes differ.
    from = r.events.length;
    rmSync(join(root, 'assets'));
    symlinkSync('other', join(root, 'assets'));
    await paidUpTo(r, 7, from);
    expect(cyclesSince(r, from).map((c) => c.ran)).toEqual([['a@pet-chelsea']]);
    // The old target is no source now: its save is no change; one through the link is.
    from = r.events.length;
    await writeFile(join(root, 'real-assets', 'product-coffee.jpg'), pngHolding('not a source now', 8, 8));
    await saveStartsOne(r, 'scene-rocket.jpg', from);

    // The project folder moved away and back (mv p p2 && mv p2 p).
    from = r.events.length;
    await rename(root, `${root}-away`);
    await sleep(GAP_MS);
    renameSync(`${root}-away`, root);
    await saveStartsOne(r, 'product-coffee.jpg', from);
  });
});
