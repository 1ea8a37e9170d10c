/**
 * Watch mode, sources that do not exist yet (real chokidar on real files, the emulator's
 * request log as truth): the cycle that finds a source missing reports it in one line and
 * watching goes on; creating the file — or the folder a glob points into, with a match in it —
 * starts a cycle that runs what can now run, without touching the recipe. Also a source file
 * deleted together with its folder and then restored, again and again, at varying moments
 * (the restore may land while the watchers are being switched over).
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ASSETS, until } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the product unchanged. Replace the background with white.';

function recipe(source: string): string {
  return [
    'version: 1',
    'name: test',
    'provider: runcomfy',
    ...HEAD,
    'sources:',
    `  shot: ${source}`,
    'passes:',
    '  - id: a',
    `    prompt: ${JSON.stringify(A)}`,
    '',
  ].join('\n');
}

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function errors(r: WatchRig, n: number): Promise<void> {
  await until(
    () => r.of('watch-error').length >= n,
    8_000,
    `watch-error ${n}`,
    () => JSON.stringify(r.events.filter((e) => e.type.startsWith('watch'))),
  );
}

describe('watch: sources that appear later', () => {
  it('a missing source file: reported once; creating it runs the pass (the recipe untouched)', async () => {
    rig = await startWatchRig(recipe('incoming/new-shot.jpg'));
    await errors(rig, 1);
    expect(rig.of('watch-error')[0]?.problems).toEqual([
      expect.stringMatching(/file not found: "incoming\/new-shot\.jpg"/),
    ]);
    expect(rig.of('watch-cycle')).toHaveLength(0);

    // The folder does not exist either: it and the file appear together.
    await mkdir(join(rig.project.root, 'incoming'));
    await copyFile(join(ASSETS, 'product-coffee.jpg'), join(rig.project.root, 'incoming', 'new-shot.jpg'));
    const cycle = await rig.cycleDone(1);
    // The folder's appearance alone may start it (the file copied in while the folder was being
    // looked at, found by that look): either names what appeared.
    const appeared = [join(rig.project.root, 'incoming'), join(rig.project.root, 'incoming', 'new-shot.jpg')];
    expect(
      cycle.changed.some((c) => appeared.includes(c)),
      JSON.stringify(cycle.changed),
    ).toBe(true);
    expect(cycle.to_run.map((r) => r.node)).toEqual(['a']);
    expect(rig.submits().get(A)).toBe(1);
    expect(await rig.project.outFiles()).toEqual([join('out', 'test', 'a', 'shot.png')]);
    // Each report of the missing source is one line (the folder's own appearance may add one).
    expect(rig.of('watch-error').every((e) => e.problems.length === 1)).toBe(true);
    expect(rig.errors).toEqual([]);
  });

  it('a glob whose folder is created after start: a matching file in it runs its nodes', async () => {
    rig = await startWatchRig(recipe('drops/today/*.jpg'));
    await errors(rig, 1);
    expect(rig.of('watch-error')[0]?.problems).toEqual([
      expect.stringMatching(/no files match "drops\/today\/\*\.jpg"/),
    ]);

    // The folder appearing is looked at (still nothing to match: one more one-line report)...
    await mkdir(join(rig.project.root, 'drops', 'today'), { recursive: true });
    await errors(rig, 2);
    expect(rig.of('watch-error')[1]?.problems).toEqual([expect.stringMatching(/no files match/)]);
    expect(rig.of('watch-cycle')).toHaveLength(0);
    // ...and a matching file in it runs its node.
    await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(rig.project.root, 'drops', 'today', 'cat.jpg'));
    const first = await rig.cycleDone(1);
    expect(first.to_run.map((r) => r.node)).toEqual(['a@cat']);

    // Now watched directly: a second file is a second instance.
    await copyFile(join(ASSETS, 'product-coffee.jpg'), join(rig.project.root, 'drops', 'today', 'coffee.jpg'));
    const second = await rig.cycleDone(2);
    expect(second.to_run.map((r) => r.node)).toEqual(['a@coffee']);
    expect(rig.submits().get(A)).toBe(2);
    expect(rig.errors).toEqual([]);
  });

  it('a source file deleted with its folder, then restored: the restore runs again', async () => {
    rig = await startWatchRig(recipe('shots/coffee.jpg'), {
      setup: async (p) => {
        await mkdir(join(p.root, 'shots'));
        await copyFile(join(ASSETS, 'product-coffee.jpg'), join(p.root, 'shots', 'coffee.jpg'));
      },
    });
    await rig.cycleDone(1);
    expect(rig.submits().get(A)).toBe(1);

    await rm(join(rig.project.root, 'shots'), { recursive: true });
    await errors(rig, 1);
    expect(rig.of('watch-error')[0]?.problems).toEqual([expect.stringMatching(/file not found: "shots\/coffee\.jpg"/)]);

    // A different image under the same name: a new input, so the pass runs again.
    await mkdir(join(rig.project.root, 'shots'));
    await copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(rig.project.root, 'shots', 'coffee.jpg'));
    const cycle = await rig.cycleDone(2);
    expect(cycle.to_run.map((r) => [r.node, r.reason])).toEqual([['a', 'input-changed']]);
    expect(rig.submits().get(A)).toBe(2);
    expect(rig.errors).toEqual([]);
  });

  it('a glob folder deleted and restored again and again: every restore is seen', async () => {
    const drops = (p: string): Promise<void> =>
      mkdir(join(p, 'drops')).then(() => copyFile(join(ASSETS, 'pet-chelsea.jpg'), join(p, 'drops', 'cat.jpg')));
    rig = await startWatchRig(recipe('drops/*.jpg'), { setup: (p) => drops(p.root) });
    await rig.cycleDone(1);
    const delays = [0, 0, 5, 10, 20, 40, 0, 15];
    for (const [i, ms] of delays.entries()) {
      const before = rig.of('watch-error').length;
      await rm(join(rig.project.root, 'drops'), { recursive: true });
      await until(() => (rig?.of('watch-error').length ?? 0) > before, 8_000, `an error after removal ${i + 1}`);
      await sleep(ms);
      // The folder and the file within a few ms: one cycle, or an error for the bare folder first.
      await drops(rig.project.root);
      const cycle = await rig.cycleDone(i + 2);
      expect(cycle.cached).toBe(1);
    }
    expect(rig.submits().get(A)).toBe(1);
    expect(rig.errors).toEqual([]);
  });
});
