/** expandGlob over a real temp tree. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, GlobTooLargeError, MAX_GLOB_FOLDERS } from '../../../src/recipe/sources/glob.js';

let root = '';

const FILES = [
  'a/x.jpg',
  'a/y.png',
  'a/.hidden.jpg',
  'a/sub/z.jpg',
  'a/sub/deep/w.jpg',
  'a/.cache/c.jpg',
  'b/x.jpg',
  'b/notes.txt',
  'c/pet.jpg',
  'c/pet.jpg~',
  'c/.pet.jpg.swp',
  'top.jpg',
];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-glob-'));
  for (const f of FILES) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), f);
  }
  await mkdir(path.join(root, 'a/folder.jpg')); // a folder that matches *.jpg is not a file
  await symlink(path.join(root, 'a'), path.join(root, 'a/sub/loop')); // a loop for **
  await symlink(path.join(root, 'top.jpg'), path.join(root, 'b/link.jpg'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const rel = (files: string[]) => files.map((f) => path.relative(root, f));

describe('expandGlob', () => {
  it.each([
    ['a/*.jpg', ['a/x.jpg']],
    ['a/*', ['a/x.jpg', 'a/y.png']],
    ['a/*.{jpg,png}', ['a/x.jpg', 'a/y.png']],
    ['a/**/*.jpg', ['a/sub/deep/w.jpg', 'a/sub/z.jpg', 'a/x.jpg']],
    ['a/**', ['a/sub/deep/w.jpg', 'a/sub/z.jpg', 'a/x.jpg', 'a/y.png']],
    ['*/x.jpg', ['a/x.jpg', 'b/x.jpg']],
    ['?/x.jpg', ['a/x.jpg', 'b/x.jpg']],
    ['[a]/[xy].*', ['a/x.jpg', 'a/y.png']],
    ['a/.*.jpg', ['a/.hidden.jpg']],
    ['b/*.jpg', ['b/link.jpg', 'b/x.jpg']], // a symlink to a file counts
    ['a/sub/*/w.jpg', ['a/sub/deep/w.jpg']],
    ['{a,b}/x.jpg', ['a/x.jpg', 'b/x.jpg']],
    ['missing/*.jpg', []],
    ['a/*.webp', []],
    // An editor's backup or swap file beside a photo is no source: watch mode never sees it (walk-ak 2).
    ['c/*', ['c/pet.jpg']],
    ['c/{*,.*}', ['c/pet.jpg']],
    ['c/pet.jpg~', ['c/pet.jpg~']], // named literally, it is taken
  ])('%s', async (pattern, expected) => {
    expect(rel(await expandGlob(pattern, root))).toEqual(expected);
  });

  it('takes absolute patterns and patterns that climb out of the folder', async () => {
    expect(rel(await expandGlob(path.join(root, 'b/*.txt'), '/somewhere/else'))).toEqual(['b/notes.txt']);
    expect(rel(await expandGlob('../b/*.txt', path.join(root, 'a')))).toEqual(['b/notes.txt']);
  });

  it('returns sorted, unique absolute paths even when alternatives overlap', async () => {
    const files = await expandGlob('a/{*,x}.jpg', root);
    expect(files).toEqual([path.join(root, 'a/x.jpg')]);
  });
});

describe('expandGlob against a hostile pattern (walk-t: a stranger recipe froze validate)', () => {
  let deep = '';
  beforeAll(async () => {
    deep = await mkdtemp(path.join(os.tmpdir(), 'kontext-glob-deep-'));
    // 40 levels, 3 images a level; and 50 files with long names of one letter.
    let dir = deep;
    for (let level = 0; level < 40; level++) {
      dir = path.join(dir, `l${level}`);
      await mkdir(dir, { recursive: true });
      for (const k of [1, 2, 3]) await writeFile(path.join(dir, `p${k}.png`), 'x');
    }
    await mkdir(path.join(deep, 'long'));
    for (let i = 0; i < 50; i++) await writeFile(path.join(deep, 'long', `${'a'.repeat(200)}${i}.png`), 'x');
  });
  afterAll(() => rm(deep, { recursive: true, force: true }));

  it('many ** and * in a row walk each folder once: every image, at once', async () => {
    const files = await expandGlob(`${'**/'.repeat(20)}*.png`, path.join(deep, 'l0'));
    expect(files).toHaveLength(120);
    // Each folder 20 or more below l0 is reached by C(n, 20) spreads of its path over the stars.
    const mixed = await expandGlob(`l0/${'**/*/'.repeat(20)}*.png`, deep);
    expect(mixed).toHaveLength(3 * 20); // l20 to l39
  });

  it('many stars in one name against long names: matched at once', async () => {
    expect(await expandGlob('long/*a*a*a*a*a*a*b.png', deep)).toEqual([]);
    expect(await expandGlob('long/*a*a*a*a*a*a*49.png', deep)).toHaveLength(1);
  });
});

describe('expandGlob through symlinked folders (review-ab 5: links to "." made `*/*/…` walk every route)', () => {
  let links = '';
  beforeAll(async () => {
    links = await mkdtemp(path.join(os.tmpdir(), 'kontext-glob-links-'));
    // Two links back to their own folder; two folders linking to each other.
    await mkdir(path.join(links, 'self'));
    await writeFile(path.join(links, 'self/p.png'), 'x');
    await symlink('.', path.join(links, 'self/l1'));
    await symlink('.', path.join(links, 'self/l2'));
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      await mkdir(path.join(links, from), { recursive: true });
      await writeFile(path.join(links, from, `${from}.png`), 'x');
      await symlink(`../${to}`, path.join(links, from, 'l'));
    }
    // No loop, but each level's two links lead to the next level: 2^18 routes to the last one.
    for (let level = 0; level < 18; level++) {
      await mkdir(path.join(links, 'fan', `d${level}`), { recursive: true });
      await symlink(`../d${level + 1}`, path.join(links, 'fan', `d${level}`, 'x'));
      await symlink(`../d${level + 1}`, path.join(links, 'fan', `d${level}`, 'y'));
    }
    await mkdir(path.join(links, 'fan', 'd18'));
    // A link out of the walked tree to a folder that is not on the route is still followed.
    await mkdir(path.join(links, 'kept/in'), { recursive: true });
    await writeFile(path.join(links, 'kept/in/k.png'), 'x');
    await mkdir(path.join(links, 'user'));
    await symlink('../kept', path.join(links, 'user/shared'));
  });
  afterAll(() => rm(links, { recursive: true, force: true }));

  it('a link back to a folder on its own route is not entered, however many stars follow', async () => {
    const stars = `${'*/'.repeat(30)}*.png`;
    expect(rel2(await expandGlob(`self/${stars}`, links))).toEqual([]);
    expect(rel2(await expandGlob('self/*.png', links))).toEqual(['self/p.png']);
    // a/l is b (not on a's route) and is entered; a/l/l is a again and is not.
    expect(rel2(await expandGlob('a/*/*.png', links))).toEqual(['a/l/b.png']);
    expect(rel2(await expandGlob(`a/${stars}`, links))).toEqual([]);
    // Written out in full, with no wildcard before it, a path is the user's to choose.
    expect(rel2(await expandGlob('a/l/l/*.png', links))).toEqual(['a/l/l/a.png']);
    expect(rel2(await expandGlob('user/*/*/*.png', links))).toEqual(['user/shared/in/k.png']);
    // A written name is followed even back onto the route: only a wildcard can multiply routes.
    expect(rel2(await expandGlob('*/l1/*.png', links))).toEqual(['self/l1/p.png']);
    expect(rel2(await expandGlob('*/l1/l2/*.png', links))).toEqual(['self/l1/l2/p.png']);
  });

  it('links that fan out without a loop stop at the folder limit with a clear error', async () => {
    // The default limit, 100,000 folders, takes seconds to reach: the test lowers it.
    expect(MAX_GLOB_FOLDERS).toBe(100_000);
    const fanned = expandGlob(`fan/d0/${'*/'.repeat(18)}*.png`, links, new Set(), () => false, 2000);
    await expect(fanned).rejects.toThrow(GlobTooLargeError);
    await expect(fanned).rejects.toThrow('lists more than 2000 folders (the rest were not read)');
    // Fewer levels stay under it, and every route is a match (the same file by two paths).
    await writeFile(path.join(links, 'fan/d4/f.png'), 'x');
    expect(await expandGlob('fan/d0/*/*/*/*/*.png', links)).toHaveLength(16);
  });

  const rel2 = (files: string[]) => files.map((f) => path.relative(links, f));
});
