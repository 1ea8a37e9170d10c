/**
 * surveyRoots on a real temp dir: an existing folder is watched as itself; a missing one from
 * its nearest existing ancestor, recursively; roots inside a recursive one are left out; a
 * folder deleted and made again has a new identity (so it is watched anew), and so has one put behind
 * a symlink; a folder on disk in the other Unicode form than written is watched as it is on disk.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchRoot } from '../../../src/recipe/watch-targets.js';
import { surveyRoots } from '../../../src/watch/survey-roots.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-roots-'));
  await mkdir(join(root, 'shots'));
  await writeFile(join(root, 'file.txt'), 'not a folder');
});
afterEach(() => rm(root, { recursive: true, force: true }));

const flat = (path: string): WatchRoot => ({ path, recursive: false });
async function watched(roots: readonly WatchRoot[]): Promise<WatchRoot[]> {
  return (await surveyRoots(roots)).present.map(({ path, recursive }) => ({ path, recursive }));
}

describe('surveyRoots', () => {
  it('existing folders as they are', async () => {
    expect(await watched([flat(root), flat(join(root, 'shots'))])).toEqual([flat(root), flat(join(root, 'shots'))]);
  });

  it('a missing folder (or a file in its place): nearest existing ancestor, recursive, covers roots', async () => {
    expect(await watched([flat(root), flat(join(root, 'shots')), flat(join(root, 'a', 'b'))])).toEqual([
      { path: root, recursive: true },
    ]);
    expect(await watched([flat(join(root, 'shots', 'x', 'y'))])).toEqual([
      { path: join(root, 'shots'), recursive: true },
    ]);
    expect(await watched([flat(join(root, 'file.txt', 'sub'))])).toEqual([{ path: root, recursive: true }]);
  });

  it('identities: missing is null; a folder made again is a new one', async () => {
    const shots = join(root, 'shots');
    const before = await surveyRoots([flat(shots), flat(join(root, 'nope'))]);
    expect(before.ids.get(join(root, 'nope'))).toBeNull();
    expect(before.ids.get(shots)).toMatch(/^\d+:\d+:[\d.]+$/);
    // ext4 hands the same inode number to the new folder: the identity must still differ.
    await rm(shots, { recursive: true });
    await mkdir(shots);
    const after = await surveyRoots([flat(shots)]);
    expect(after.ids.get(shots)).not.toBe(before.ids.get(shots));
    expect(after.present.find((r) => r.path === shots)?.id).toBe(after.ids.get(shots));
  });

  it('identities: a folder renamed, a symlink to it in its place: a new one; moved back, its own again', async () => {
    const shots = join(root, 'shots');
    const before = (await surveyRoots([flat(shots)])).ids.get(shots);
    await rename(shots, join(root, 'real-shots'));
    await symlink('real-shots', shots);
    const linked = await surveyRoots([flat(shots)]);
    expect(linked.ids.get(shots)).not.toBe(before);
    expect(linked.present).toEqual([{ path: shots, recursive: false, id: linked.ids.get(shots) }]);
    await rm(shots);
    await rename(join(root, 'real-shots'), shots);
    expect((await surveyRoots([flat(shots)])).ids.get(shots)).toBe(before);
  });

  it('a folder on disk in the other Unicode form (café NFD, written NFC): watched as it is on disk', async () => {
    const [nfc, nfd] = ['caf\u00e9', 'cafe\u0301'];
    await mkdir(join(root, 'shots', nfd));
    const survey = await surveyRoots([flat(join(root, 'shots', nfc)), flat(join(root, 'shots', nfc, 'x'))]);
    expect(survey.present).toEqual([{ path: join(root, 'shots', nfd), recursive: true, id: expect.any(String) }]);
    expect(survey.ids.get(join(root, 'shots', nfc))).toMatch(/^\d+:\d+:[\d.]+$/);
    expect(survey.onDisk.get(join(root, 'shots', nfc))).toBe(join(root, 'shots', nfd));
    expect(survey.ids.get(join(root, 'shots', nfc, 'x'))).toBeNull();
    expect(survey.onDisk.has(join(root, 'shots', nfc, 'x'))).toBe(false);
  });
});
