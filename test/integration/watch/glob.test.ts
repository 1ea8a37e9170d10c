/**
 * Watch mode over a glob source (asset work): a file dropped into the folder is a new
 * instance and only its nodes run; a removed file's nodes drop out of the plan; a file the
 * pattern does not match, and the outputs written inside the watched folder, start nothing;
 * a glob pointing at a new folder is followed.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ASSETS, lockMatchesFiles } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, type WatchRig } from './harness.js';

const A = 'Keep the product unchanged. Replace the background with white.';
const B = 'Keep the product and background unchanged. Add a soft shadow.';

function globRecipe(spec = 'shots/*.jpg', out = ''): string {
  return [
    'version: 1',
    'name: test',
    'provider: runcomfy',
    ...HEAD,
    ...(out ? [`out: ${out}`] : []),
    'sources:',
    `  shots: ${spec}`,
    'passes:',
    `  - id: a`,
    `    prompt: ${JSON.stringify(A)}`,
    `  - id: b`,
    `    prompt: ${JSON.stringify(B)}`,
    '',
  ].join('\n');
}

async function shots(root: string, names: readonly string[], dir = 'shots'): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  for (const n of names) await copyFile(join(ASSETS, `${n}.jpg`), join(root, dir, `${n}.jpg`));
}

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('watch: glob sources', () => {
  it('a new file is a new instance (only its nodes run); a removed file drops its nodes', async () => {
    // Outputs go inside the watched folder: writing them must not start cycles.
    rig = await startWatchRig(globRecipe('shots/*.jpg', 'shots/out'), {
      setup: (p) => shots(p.root, ['pet-chelsea', 'product-coffee']),
    });
    await rig.cycleDone(1);
    expect(rig.of('run-start')[0]).toMatchObject({ nodes: 4 });
    expect(rig.submits()).toEqual(
      new Map([
        [A, 2],
        [B, 2],
      ]),
    );

    await copyFile(join(ASSETS, 'scene-rocket.jpg'), join(rig.project.root, 'shots', 'scene-rocket.jpg'));
    const added = await rig.cycleDone(2);
    expect(added.changed).toEqual([join(rig.project.root, 'shots', 'scene-rocket.jpg')]);
    expect(added.to_run.map((r) => [r.node, r.reason])).toEqual([
      ['a@scene-rocket', 'new'],
      ['b@scene-rocket', 'new'],
    ]);
    expect(added.cached).toBe(4);
    expect(rig.submits()).toEqual(
      new Map([
        [A, 3],
        [B, 3],
      ]),
    );

    await rm(join(rig.project.root, 'shots', 'pet-chelsea.jpg'));
    const removed = await rig.cycleDone(3);
    expect(removed.to_run).toEqual([]);
    expect(rig.of('run-start').at(-1)).toMatchObject({ nodes: 4, to_run: 0 });
    expect(
      rig
        .of('node-cached')
        .slice(-4)
        .map((e) => e.node)
        .sort(),
    ).toEqual(['a@product-coffee', 'a@scene-rocket', 'b@product-coffee', 'b@scene-rocket']);
    expect(rig.submits()).toEqual(
      new Map([
        [A, 3],
        [B, 3],
      ]),
    );
    expect((await lockMatchesFiles(rig.project)).every((r) => r.ok)).toBe(true);

    // Not matched by the pattern: no cycle.
    await writeFile(join(rig.project.root, 'shots', 'notes.txt'), 'hello');
    await sleep(500);
    expect(rig.of('watch-cycle')).toHaveLength(3);
    expect(rig.errors).toEqual([]);
  });

  it('the watched set follows the recipe: a glob moved to a new folder is watched, the old one dropped', async () => {
    rig = await startWatchRig(globRecipe(), { setup: (p) => shots(p.root, ['pet-chelsea']) });
    await rig.cycleDone(1);
    const root = rig.project.root;
    expect(rig.watcher.roots.map((r) => r.path).sort()).toEqual([root, join(root, 'shots')]);

    await shots(root, ['product-coffee'], 'more');
    await rig.project.writeRecipe(globRecipe('more/*.jpg'));
    await rig.cycleDone(2);
    expect(rig.watcher.roots.map((r) => r.path).sort()).toEqual([root, join(root, 'more')]);
    expect(rig.submits().get(A)).toBe(2);

    await copyFile(join(ASSETS, 'scene-rocket.jpg'), join(root, 'more', 'scene-rocket.jpg'));
    const cycle = await rig.cycleDone(3);
    expect(cycle.to_run.map((r) => r.node)).toEqual(['a@scene-rocket', 'b@scene-rocket']);

    // The old folder is no longer watched.
    await copyFile(join(ASSETS, 'scene-rocket.jpg'), join(root, 'shots', 'scene-rocket.jpg'));
    await sleep(500);
    expect(rig.of('watch-cycle')).toHaveLength(3);
  });
});
