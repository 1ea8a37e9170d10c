/**
 * Watch mode over a folder whose name is on disk in the other Unicode form than the recipe
 * writes it (`café` composed in the recipe, decomposed on disk as macOS leaves it, or the
 * reverse): the run finds the files (recipe/sources/unicode-form.ts), and the watcher watches
 * the folder as it is on disk, so a photo added or edited there starts a cycle — for a glob, for
 * a single-file source in such a folder, and for such a folder that appears only later.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ASSETS, until } from '../../helpers/run-fixtures.js';
import { HEAD, startWatchRig, type WatchRig } from './harness.js';

const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
const A = 'Keep the product unchanged. Replace the background with white.';

function recipe(source: string): string {
  return [
    'version: 1',
    'name: test',
    'provider: runcomfy',
    ...HEAD,
    'sources:',
    `  shot: ${JSON.stringify(source)}`,
    'passes:',
    '  - id: a',
    `    prompt: ${JSON.stringify(A)}`,
    '',
  ].join('\n');
}

async function photo(root: string, dir: string, name: string, asset: string): Promise<string> {
  await mkdir(join(root, dir), { recursive: true });
  const file = join(root, dir, name);
  await copyFile(join(ASSETS, `${asset}.jpg`), file);
  return file;
}

let rig: WatchRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const FORMS = [
  { recipeForm: 'NFC', diskForm: 'NFD', written: NFC, onDisk: NFD },
  { recipeForm: 'NFD', diskForm: 'NFC', written: NFD, onDisk: NFC },
] as const;

describe.each(FORMS)('watch: a folder written $recipeForm, on disk $diskForm', ({ written, onDisk }) => {
  it('a glob in it: a photo added, then one edited, each starts a cycle that runs it', async () => {
    rig = await startWatchRig(recipe(`photos/${written}/*.jpg`), {
      setup: async (p) => void (await photo(p.root, join('photos', onDisk), 'cat.jpg', 'pet-chelsea')),
    });
    const first = await rig.cycleDone(1);
    expect(first.to_run.map((r) => r.node)).toEqual(['a@cat']);
    expect(rig.watcher.roots.map((r) => r.path)).toContain(join(rig.project.root, 'photos', onDisk));

    const added = await photo(rig.project.root, join('photos', onDisk), 'coffee.jpg', 'product-coffee');
    const second = await rig.cycleDone(2);
    expect(second.changed).toEqual([added]);
    expect(second.to_run.map((r) => [r.node, r.reason])).toEqual([['a@coffee', 'new']]);

    await copyFile(join(ASSETS, 'scene-rocket.jpg'), join(rig.project.root, 'photos', onDisk, 'cat.jpg'));
    const third = await rig.cycleDone(3);
    expect(third.to_run.map((r) => [r.node, r.reason])).toEqual([['a@cat', 'input-changed']]);
    expect(rig.submits().get(A)).toBe(3);
    expect(rig.errors).toEqual([]);
  });

  it('a single-file source in it: an edit starts a cycle that runs it again', async () => {
    rig = await startWatchRig(recipe(`photos/${written}/hero.jpg`), {
      setup: async (p) => void (await photo(p.root, join('photos', onDisk), 'hero.jpg', 'pet-chelsea')),
    });
    await rig.cycleDone(1);
    await copyFile(join(ASSETS, 'product-coffee.jpg'), join(rig.project.root, 'photos', onDisk, 'hero.jpg'));
    const edited = await rig.cycleDone(2);
    expect(edited.to_run.map((r) => [r.node, r.reason])).toEqual([['a', 'input-changed']]);
    expect(rig.submits().get(A)).toBe(2);
    expect(rig.errors).toEqual([]);
  });

  it('a glob whose folder appears later: a photo in it starts a cycle, and another one', async () => {
    // Its parent exists: only the folder in the other form appears.
    rig = await startWatchRig(recipe(`drops/${written}/*.jpg`), { setup: (p) => mkdir(join(p.root, 'drops')) });
    await until(() => (rig?.of('watch-error').length ?? 0) >= 1, 8_000, 'the first watch-error');
    await photo(rig.project.root, join('drops', onDisk), 'cat.jpg', 'pet-chelsea');
    const first = await rig.cycleDone(1);
    expect(first.to_run.map((r) => r.node)).toEqual(['a@cat']);
    // Now watched as it is on disk: a second photo is a second instance.
    await photo(rig.project.root, join('drops', onDisk), 'coffee.jpg', 'product-coffee');
    const second = await rig.cycleDone(2);
    expect(second.to_run.map((r) => r.node)).toEqual(['a@coffee']);
    expect(rig.submits().get(A)).toBe(2);
    expect(rig.errors).toEqual([]);
  });

  it('a single-file source whose folder appears later: the file in it starts a cycle', async () => {
    rig = await startWatchRig(recipe(`later/${written}/hero.jpg`), { setup: (p) => mkdir(join(p.root, 'later')) });
    await until(() => (rig?.of('watch-error').length ?? 0) >= 1, 8_000, 'the missing file reported');
    await photo(rig.project.root, join('later', onDisk), 'hero.jpg', 'scene-rocket');
    const first = await rig.cycleDone(1);
    expect(first.to_run.map((r) => r.node)).toEqual(['a']);
    expect(rig.submits().get(A)).toBe(1);
    expect(rig.errors).toEqual([]);
  });
});
