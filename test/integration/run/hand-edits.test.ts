/**
 * Nothing the user changed is destroyed: an output or `save:` copy whose bytes are not the
 * lock's (a hand edit), or a file kontext never wrote, is kept and fails its own node (exit 65,
 * the rest runs, downstream is skipped) unless `--overwrite`; a missing one is restored.
 * Counted at the emulator.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../helpers/run-fixtures.js';
import type { Project } from '../run-hosting/harness.js';
import { cliRun, outputOf, readLockOf, SHOP, shopProject } from './shop-project.js';

let project: Project;
let cacheDir: string;

beforeEach(async () => {
  ({ project, cacheDir } = await shopProject());
});

afterEach(async () => {
  await project.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const run = (...args: string[]) => cliRun(project, ...args);

/** Overwrite a file with other bytes (a photo editor's save), returning them. */
async function editByHand(path: string): Promise<Buffer> {
  const bytes = Buffer.concat([await readFile(path), Buffer.from('hand edit')]);
  await writeFile(path, bytes);
  return bytes;
}

describe('hand-edited outputs', () => {
  it('a missing output is restored silently, with no request', async () => {
    expect(await run(project.recipePath)).toMatchObject({ code: 0, submits: 12 });
    const out = await outputOf(project, 'lifestyle@product-a');
    const sha = await sha256File(out);
    await rm(out);
    await rm(join(project.root, 'final', 'product-b.png'));
    const again = await run(project.recipePath);
    expect(again).toMatchObject({ code: 0, submits: 0, failed: [] });
    expect(again.stderr).toBe('');
    expect(await sha256File(out)).toBe(sha);
    const savedSha = await sha256File(await outputOf(project, 'lifestyle@product-b'));
    expect(await sha256File(join(project.root, 'final', 'product-b.png'))).toBe(savedSha);
  });

  it('is kept (exit 65 for that node only, downstream skipped); --overwrite restores it from the cache', async () => {
    await run(project.recipePath);
    const lockBefore = await readLockOf(project);
    const clean = await outputOf(project, 'clean@product-a');
    const edited = await editByHand(clean);
    const r = await run(project.recipePath);
    expect(r.code).toBe(65);
    expect(r.submits).toBe(0);
    expect(r.failed.map((f) => [f.node, f.code])).toEqual([['clean@product-a', 'E_OUTPUT_CHANGED']]);
    expect(r.failed[0]?.message).toContain(`${clean} was changed by hand since kontext wrote it`);
    expect(r.failed[0]?.hint).toContain('--overwrite');
    expect(r.skipped).toEqual(['bag@product-a#1', 'bag@product-a#2', 'lifestyle@product-a']);
    expect(await readFile(clean)).toEqual(edited);
    expect(await readLockOf(project)).toEqual(lockBefore);

    const over = await run(project.recipePath, '--overwrite');
    expect(over).toMatchObject({ code: 0, submits: 0 });
    expect(await sha256File(clean)).toBe(lockBefore.nodes['clean@product-a']?.output_sha256);
  });

  it('a node that must run is refused before it is paid for; the others run', async () => {
    await run(project.recipePath);
    const target = await outputOf(project, 'lifestyle@extra');
    const edited = await editByHand(target);
    await project.writeRecipe(SHOP.replace('wooden kitchen table', 'marble counter'));
    const r = await run(project.recipePath);
    expect(r.code).toBe(65);
    expect(r.submits).toBe(2);
    expect(r.started).toEqual(['lifestyle@product-a', 'lifestyle@product-b']);
    expect(r.failed.map((f) => f.node)).toEqual(['lifestyle@extra']);
    expect(await readFile(target)).toEqual(edited);
    const over = await run(project.recipePath, '--overwrite', '--only', 'lifestyle@extra');
    expect(over).toMatchObject({ code: 0, submits: 1 });
  });

  it('save: copies follow the same rule', async () => {
    await run(project.recipePath);
    const saved = join(project.root, 'final', 'product-b.png');
    const edited = await editByHand(saved);
    const r = await run(project.recipePath);
    expect(r).toMatchObject({ code: 65, submits: 0 });
    expect(r.failed.map((f) => f.node)).toEqual(['lifestyle@product-b']);
    expect(await readFile(saved)).toEqual(edited);
    expect(await run(project.recipePath, '--overwrite')).toMatchObject({ code: 0, submits: 0 });
    expect(await sha256File(saved)).toBe(await sha256File(await outputOf(project, 'lifestyle@product-b')));
  });

  it('a file kontext did not write (no lock entry) is not overwritten either, nor paid for', async () => {
    const mine = join(project.root, 'final', 'extra.png');
    await mkdir(join(project.root, 'final'));
    await writeFile(mine, 'my own picture');
    const r = await run(project.recipePath);
    expect(r.code).toBe(65);
    // Refused before its request: the format it asks for (png) names the file it would write.
    expect(r.submits).toBe(11);
    expect(r.started).not.toContain('lifestyle@extra');
    expect(r.failed.map((f) => f.node)).toEqual(['lifestyle@extra']);
    expect(r.failed[0]?.message).toContain('is not a file kontext wrote');
    expect(await readFile(mine, 'utf8')).toBe('my own picture');
    expect(await run(project.recipePath, '--overwrite')).toMatchObject({ code: 0, submits: 1 });
    expect(await readFile(mine, 'utf8')).not.toBe('my own picture');
  });

  // Without markers: the other branch's files were written by a kontext that wrote none (walk-aj 2);
  // the cache's run records of those very nodes tell they are kontext's.
  it.each([
    ['the cache remembers writing them', false],
    ['an older kontext wrote them, without markers', true],
  ])(
    'a lock changed under its outputs (git checkout, out/ ignored): kontext’s own output is replaced (%s)',
    async (_, older) => {
      const lockPath = join(project.root, 'recipe.lock.json');
      expect(await run(project.recipePath)).toMatchObject({ code: 0, submits: 12 });
      const lockA = await readFile(lockPath, 'utf8');
      const other = SHOP.replace('wooden kitchen table', 'marble counter');
      await project.writeRecipe(other);
      expect(await run(project.recipePath)).toMatchObject({ code: 0, submits: 3 });
      if (older) await rm(join(cacheDir, 'written'), { recursive: true });
      // Back to the first branch: its recipe and lock, while out/ keeps the other branch's files.
      await project.writeRecipe(SHOP);
      await writeFile(lockPath, lockA);
      const status = await project.cli(['status', '--json', project.recipePath]);
      const states = (JSON.parse(status.stdout) as { nodes: { node: string; state: string }[] }).nodes;
      expect(states.filter((n) => n.state === 'modified')).toEqual([]);
      const back = await run(project.recipePath);
      expect(back).toMatchObject({ code: 0, submits: 0, failed: [] });
      const locked = JSON.parse(lockA) as Awaited<ReturnType<typeof readLockOf>>;
      for (const node of ['lifestyle@extra', 'lifestyle@product-b'])
        expect(await sha256File(await outputOf(project, node))).toBe(locked.nodes[node]?.output_sha256);
      expect(await sha256File(join(project.root, 'final', 'product-b.png'))).toBe(
        locked.nodes['lifestyle@product-b']?.output_sha256,
      );
      // And the other way, where the nodes must run again: with a fresh lock, nothing is refused.
      await project.writeRecipe(other.replace('marble counter', 'glass shelf'));
      expect(await run(project.recipePath)).toMatchObject({ code: 0, submits: 3, failed: [] });
    },
  );

  it.each([
    ['', false],
    [', with no markers either', true],
  ])('bytes kontext wrote elsewhere are still a hand edit (variant 2 copied over variant 1%s)', async (_, older) => {
    await run(project.recipePath);
    if (older) await rm(join(cacheDir, 'written'), { recursive: true });
    const one = await outputOf(project, 'bag@product-a#1');
    await writeFile(one, await readFile(await outputOf(project, 'bag@product-a#2')));
    const r = await run(project.recipePath);
    expect(r).toMatchObject({ code: 65, submits: 0 });
    expect(r.failed.map((f) => [f.node, f.code])).toEqual([['bag@product-a#1', 'E_OUTPUT_CHANGED']]);
  });

  it("no lock entry: a file with the cache's output for the node's key is kontext's (--force)", async () => {
    expect(await run(project.recipePath)).toMatchObject({ code: 0, submits: 12 });
    await rm(join(project.root, 'recipe.lock.json'));
    const forced = await run(project.recipePath, '--force', 'lifestyle@extra');
    expect(forced).toMatchObject({ code: 0, submits: 1, failed: [] });
    expect(forced.started).toEqual(['lifestyle@extra']);
  });
});
