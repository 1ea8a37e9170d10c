/**
 * Watch mode, a source folder swapped under the watcher (real chokidar on real files, the
 * emulator's request log as truth): the folder renamed and a symlink to it put in its place,
 * the symlink replaced by the folder moved back, the folder renamed away and back, a copy renamed
 * over it. After each, a save of one source (through either path) starts one cycle that pays for
 * that source's chain only, and so does the save after it (the first may land in the cycle the
 * swap started).
 */
import { renameSync } from 'node:fs';
import { cp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { pngHolding } from '../../helpers/test-images.js';
import { until } from '../../helpers/run-fixtures.js';
import { globRecipe, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the subject unchanged. Replace the background with white.';
const B = 'Keep the subject and background unchanged. Add a soft shadow.';
/** The example images createProject puts in assets/. */
const SHOTS = 4;
/**
 * The watcher's quiet period, and the time between the two commands of `mv assets x && ln -s x assets`
 * (a shell's is a few ms): long enough for chokidar to find the folder gone in between (it then
 * drops it for good), well within the quiet period, so no cycle looks while it is gone.
 */
const QUIET_MS = 600;
const GAP_MS = 150;

/** Two file operations as a shell runs `a && b`, with the folder gone in between. */
async function gapped(a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  await a();
  await sleep(GAP_MS);
  await b();
}

const RECIPE = globRecipe('assets/*.{jpg,png}', [
  ['a', A],
  ['b', B],
]);

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/**
 * Save `file` (under the project) with bytes no save had before; wait until its chain (a, b) has
 * been paid once more, and check that exactly one cycle since asked for anything: that chain.
 */
async function saveRuns(r: WatchRig, file: string, expected: number): Promise<void> {
  const from = r.events.length;
  expect(Object.fromEntries(r.submits())).toEqual({ [A]: expected - 1, [B]: expected - 1 });
  await writeFile(join(r.project.root, file), pngHolding(`${file} saved for chain ${expected}`, 8, 8));
  await until(
    () => r.submits().get(B) === expected,
    8_000,
    `the chain paid for the save of ${file}`,
    () => JSON.stringify(r.events.slice(from)),
  );
  await r.session.idle();
  const paying = r.events
    .slice(from)
    .flatMap((e) => (e.type === 'watch-cycle' && e.to_run.length > 0 ? [e.to_run.map((t) => t.node)] : []));
  expect(paying).toEqual([['a@pet-chelsea', 'b@pet-chelsea']]);
  expect(Object.fromEntries(r.submits())).toEqual({ [A]: expected, [B]: expected });
  expect(r.errors).toEqual([]);
}

describe('watch: a source folder swapped under the watcher', () => {
  it('folder -> symlink to it renamed; symlink -> folder moved back: saves through each path run', async () => {
    rig = await startWatchRig(RECIPE, { debounceMs: QUIET_MS });
    await rig.cycleDone(1);
    expect(Object.fromEntries(rig.submits())).toEqual({ [A]: SHOTS, [B]: SHOTS });
    const root = rig.project.root;
    // mv assets real-assets && ln -s real-assets assets
    await gapped(
      () => rename(join(root, 'assets'), join(root, 'real-assets')),
      () => symlink('real-assets', join(root, 'assets')),
    );
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 1);
    await saveRuns(rig, join('real-assets', 'pet-chelsea.jpg'), SHOTS + 2);
    // rm assets && mv real-assets assets
    await gapped(
      () => rm(join(root, 'assets')),
      () => rename(join(root, 'real-assets'), join(root, 'assets')),
    );
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 3);
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 4);
  });

  it('started on a symlink to the folder; rm assets && mv real-assets assets: saves afterwards run', async () => {
    rig = await startWatchRig(RECIPE, {
      debounceMs: QUIET_MS,
      setup: async (p) => {
        await rename(join(p.root, 'assets'), join(p.root, 'real-assets'));
        await symlink('real-assets', join(p.root, 'assets'));
      },
    });
    await rig.cycleDone(1);
    const root = rig.project.root;
    await saveRuns(rig, join('real-assets', 'pet-chelsea.jpg'), SHOTS + 1);
    await gapped(
      () => rm(join(root, 'assets')),
      () => rename(join(root, 'real-assets'), join(root, 'assets')),
    );
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 2);
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 3);
  });

  it('mv assets a2 && mv a2 assets: saves afterwards run', async () => {
    rig = await startWatchRig(RECIPE, { debounceMs: QUIET_MS });
    await rig.cycleDone(1);
    const root = rig.project.root;
    await gapped(
      () => rename(join(root, 'assets'), join(root, 'a2')),
      () => rename(join(root, 'a2'), join(root, 'assets')),
    );
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 1);
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 2);
  });

  it('a copy written aside and renamed over the folder (the old one renamed away): saves in it run', async () => {
    rig = await startWatchRig(RECIPE, { debounceMs: QUIET_MS });
    await rig.cycleDone(1);
    const root = rig.project.root;
    await cp(join(root, 'assets'), join(root, 'assets.new'), { recursive: true });
    // Back to back, no turn of the event loop between: the watcher never finds the path empty.
    renameSync(join(root, 'assets'), join(root, 'assets.old'));
    renameSync(join(root, 'assets.new'), join(root, 'assets'));
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 1);
    await saveRuns(rig, join('assets', 'pet-chelsea.jpg'), SHOTS + 2);
  });
});
