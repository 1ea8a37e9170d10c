/**
 * presentRoots on a real temp dir: an existing folder is watched as itself; a missing one from
 * its nearest existing ancestor, recursively; roots inside a recursive one are left out.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { presentRoots } from '../../../src/recipe/watch-targets.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-roots-'));
  await mkdir(join(root, 'shots'));
  await writeFile(join(root, 'file.txt'), 'not a folder');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('presentRoots', () => {
  it('existing folders as they are', async () => {
    expect(await presentRoots([{ path: root, recursive: false }, { path: join(root, 'shots'), recursive: false }])).toEqual([
      { path: root, recursive: false },
      { path: join(root, 'shots'), recursive: false },
    ]);
  });

  it('a missing folder (or a file where a folder should be): its nearest existing ancestor, recursively, covering the roots below it', async () => {
    expect(await presentRoots([{ path: root, recursive: false }, { path: join(root, 'shots'), recursive: false }, { path: join(root, 'a', 'b'), recursive: false }])).toEqual([
      { path: root, recursive: true },
    ]);
    expect(await presentRoots([{ path: join(root, 'shots', 'x', 'y'), recursive: false }])).toEqual([{ path: join(root, 'shots'), recursive: true }]);
    expect(await presentRoots([{ path: join(root, 'file.txt', 'sub'), recursive: false }])).toEqual([{ path: root, recursive: true }]);
  });
});
