/**
 * syncDirty, the fsync of the folders of paid results before the journal lets go of a request:
 * the removals that come while those syncs are under way share one wait (walk-t 6: a promise over
 * every sync under way per removal, hundreds of removals at once after a lock write, was a
 * 10,000-node run's largest live set), a folder noted since gets a wait of its own, and a failed
 * sync fails the removals waiting for it and is tried again by the next one.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { markDirty, syncDirty } from '../../../src/store/dir-sync.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-dir-sync-'));
});
afterEach(async () => {
  await syncDirty().catch(() => undefined); // nothing of this test left noted for the next
  await rm(dir, { recursive: true, force: true });
});

async function folders(...names: string[]): Promise<string[]> {
  const paths = names.map((n) => join(dir, n));
  await Promise.all(paths.map((p) => mkdir(p)));
  return paths;
}

describe('syncDirty', () => {
  it('gives the callers that come while its syncs are under way one shared wait', async () => {
    for (const folder of await folders('a', 'b', 'c')) markDirty(folder);
    const first = syncDirty();
    const meanwhile = Array.from({ length: 100 }, () => syncDirty());
    for (const wait of meanwhile) expect(wait).toBe(first);
    await first;
  });

  it('gives a caller after a folder was noted a wait of its own, which covers it', async () => {
    const [a, b] = await folders('a', 'b');
    markDirty(a as string);
    const first = syncDirty();
    markDirty(b as string);
    const second = syncDirty();
    expect(second).not.toBe(first);
    await Promise.all([first, second]);
    expect(syncDirty()).toBe(syncDirty()); // nothing noted or under way: settled at once, shared
  });

  it('fails the callers waiting for a failed sync, and the next call tries its folder again', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const notAFolder = join(dir, 'file', 'sub'); // ENOTDIR: a real failure, not a platform's "cannot sync"
    markDirty(notAFolder);
    const first = syncDirty();
    const meanwhile = syncDirty();
    await expect(first).rejects.toThrow(/ENOTDIR/);
    await expect(meanwhile).rejects.toThrow(/ENOTDIR/);
    await expect(syncDirty()).rejects.toThrow(/ENOTDIR/); // still noted: tried again, failing again
    await rm(join(dir, 'file'));
    await mkdir(notAFolder, { recursive: true });
    await expect(syncDirty()).resolves.toBeUndefined(); // tried again, and the old failure is over
  });
});
