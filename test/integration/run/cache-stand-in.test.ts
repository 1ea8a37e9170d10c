/**
 * A cache dir that cannot be created or written: a per-run stand-in store in the temp folder,
 * one warning, removed by `discard()` (issue 12). Real folders, no mocks.
 */
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreOrStandIn } from '../../../src/run/open-cache.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kontext-standin-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('openStoreOrStandIn', () => {
  it('a writable cache dir is used as it is, with no warning', async () => {
    const root = join(base, 'cache');
    const opened = await openStoreOrStandIn(root);
    expect(opened.store.root).toBe(root);
    expect(opened.warning).toBeNull();
    await opened.discard();
    expect((await stat(join(root, 'CACHEDIR.TAG'))).isFile()).toBe(true);
  });

  it('a cache dir under a regular file: a stand-in in the temp folder, one warning, removed after', async () => {
    await writeFile(join(base, 'file'), 'in the way');
    const root = join(base, 'file', 'cache');
    const opened = await openStoreOrStandIn(root);
    expect(opened.warning).toBe(
      `cache dir ${root} is not writable (ENOTDIR: not a directory): running without a cache; ` +
        'results are still written to out/ and the lock, ' +
        "but the crash journal is only this run's: if it is killed, its requests in flight are paid again",
    );
    expect(dirname(opened.store.root)).toBe(tmpdir());
    const sha = await opened.store.putBlob(Buffer.from('bytes'));
    expect(await opened.store.hasBlob(sha)).toBe(true);
    await opened.store.flush();
    await opened.discard();
    expect(await stat(opened.store.root).catch(() => null)).toBeNull();
  });

  // It said "EEXIST: file already exists" of a cache dir that is not there.
  it('a cache dir linked to a disk not mounted: the warning says where the link leads; nothing made', async () => {
    const disk = join(base, 'media', 'external');
    await mkdir(disk, { recursive: true });
    const root = join(base, 'cache');
    await symlink(join(disk, 'kontext'), root);
    await rm(disk, { recursive: true });
    const opened = await openStoreOrStandIn(root);
    expect(opened.warning).toBe(
      `cache dir ${root} is not writable (it is a link to ${join(disk, 'kontext')}, which does not exist: ` +
        'a disk not mounted?): running without a cache; results are still written to out/ and the lock, ' +
        "but the crash journal is only this run's: if it is killed, its requests in flight are paid again",
    );
    await opened.discard();
    expect(await stat(disk).catch(() => null)).toBeNull();
  });
});
