/**
 * Watch mode as an artist works (real chokidar on real files, the emulator's request log as
 * truth): a source deleted, then saved as a `.png` that is text, then restored — one one-line
 * message each, never a request for the non-image, and the restore is the cached result; a
 * recipe saved by an editor's atomic save (temp file, then rename), a prompt changed A → B → A,
 * then a burst of 20 saves in a second: each prompt is paid once, whatever the saves' order.
 */
import { copyFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ASSETS, until } from '../../helpers/run-fixtures.js';
import { startWatchRig, watchRecipe, type WatchRig } from './harness.js';

const A = 'Keep the face unchanged. Make the sky orange.';
const B = 'Keep the face unchanged. Make the sky green.';

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const watchEvents = (r: WatchRig): string => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch')));

async function errors(r: WatchRig, n: number): Promise<string[]> {
  await until(
    () => r.of('watch-error').length >= n,
    8_000,
    `watch-error ${n}`,
    () => watchEvents(r),
  );
  return r.of('watch-error')[n - 1]?.problems ?? [];
}

describe('watch: what an artist does', () => {
  it('a source deleted, saved as a .png that is text, restored: one line each, nothing paid again', async () => {
    const recipe = watchRecipe([['a', A]]).replace('assets/portrait-astronaut.jpg', 'assets/shot.png');
    rig = await startWatchRig(recipe, {
      setup: (p) => copyFile(join(ASSETS, 'portrait-astronaut.jpg'), join(p.root, 'assets', 'shot.png')),
    });
    await rig.cycleDone(1);
    expect(rig.submits().get(A)).toBe(1);
    const source = join(rig.project.root, 'assets', 'shot.png');

    await rm(source);
    expect(await errors(rig, 1)).toEqual([expect.stringMatching(/file not found: "assets\/shot\.png"/)]);
    await writeFile(source, 'not an image, whatever its name says\n');
    expect(await errors(rig, 2)).toEqual([expect.stringMatching(/"assets\/shot\.png" is not an image/)]);
    await copyFile(join(ASSETS, 'portrait-astronaut.jpg'), source);
    const restored = await rig.cycleDone(2);
    expect([restored.to_run, restored.cached]).toEqual([[], 1]);

    // No request was made for the text file, nor again for the restored image.
    expect(rig.submits().get(A)).toBe(1);
    expect(rig.calls().filter((c) => c.method === 'POST')).toHaveLength(1);
    expect(rig.of('watch-error')).toHaveLength(2);
    expect(rig.errors).toEqual([]);
  });

  it('atomic saves: a prompt A → B → A, then 20 saves in a second: each prompt paid once', async () => {
    rig = await startWatchRig(watchRecipe([['a', A]]));
    await rig.cycleDone(1);
    const r = rig;
    let n = 0;
    // As editors save: the new text in a temp file beside the recipe, renamed over it.
    const save = async (prompt: string): Promise<void> => {
      const temp = join(r.project.root, `.recipe.yml.${++n}.tmp`);
      await writeFile(temp, watchRecipe([['a', prompt]]));
      await rename(temp, r.project.recipe);
    };
    await save(B);
    const toB = await r.cycleDone(2);
    expect(toB.to_run).toEqual([{ node: 'a', reason: 'prompt-changed' }]);
    const bOutput = (await r.project.readLock()).nodes['a']?.output_sha256;
    await save(A);
    const back = await r.cycleDone(3);
    expect([back.to_run, back.cached]).toEqual([[], 1]);
    expect(Object.fromEntries(r.submits())).toEqual({ [A]: 1, [B]: 1 });

    for (let i = 0; i < 20; i++) {
      await save(i % 2 === 0 ? A : B); // the last one: B
      await sleep(50);
    }
    await until(
      async () => (await r.project.readLock()).nodes['a']?.output_sha256 === bOutput,
      8_000,
      'the lock holding B again',
      () => watchEvents(r),
    );
    await sleep(500); // a late cycle would show here
    await r.session.idle();
    expect(Object.fromEntries(r.submits())).toEqual({ [A]: 1, [B]: 1 });
    expect((await r.project.readLock()).nodes['a']?.output_sha256).toBe(bOutput);
    expect(r.errors).toEqual([]);
  });
});
