/**
 * A cache dir that cannot be created or written: a per-run stand-in store in the temp folder,
 * one warning, removed by `discard()` (issue 12); its crash journal in the temp folder outlives it
 * (the kill -9 itself: stand-in-journal.test.ts). Real folders, no mocks.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreOrStandIn } from '../../../src/run/open-cache.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'kontext-standin-'));
});
/** The lasting journal of the stand-ins of `root` (open-cache.ts `lastingJournal`). */
const journalOf = async (root: string): Promise<string> =>
  join(
    tmpdir(),
    `kontext-journal-${(await stat(base)).uid}-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`,
  );
const made: string[] = [];
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

const standInWarning = (root: string, why: string, journal: string | null): string =>
  `cache dir ${root} is not writable (${why}): running without a cache; ` +
  'results are still written to out/ and the lock' +
  (journal === null
    ? ", but the crash journal is only this run's: if it is killed, its requests in flight are paid again"
    : `, requests in flight to the crash journal ${journal}`);

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
    made.push(await journalOf(root));
    const opened = await openStoreOrStandIn(root);
    expect(opened.warning).toBe(standInWarning(root, 'ENOTDIR: not a directory', await journalOf(root)));
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
    made.push(await journalOf(root));
    const opened = await openStoreOrStandIn(root);
    const why = `it is a link to ${join(disk, 'kontext')}, which does not exist: a disk not mounted?`;
    expect(opened.warning).toBe(standInWarning(root, why, await journalOf(root)));
    await opened.discard();
    expect(await stat(disk).catch(() => null)).toBeNull();
  });

  it("a killed run's journal entry is the next stand-in's of the same cache dir, not another's", async () => {
    await writeFile(join(base, 'file'), 'in the way');
    const root = join(base, 'file', 'cache');
    const other = join(base, 'file', 'other');
    made.push(await journalOf(root), await journalOf(other));
    const first = await openStoreOrStandIn(root);
    const entry = {
      key: 'a'.repeat(64),
      node: 'a',
      provider: 'runcomfy',
      model: 'flux-kontext-pro',
      seed: 1,
      input_sha256: 'b'.repeat(64),
      request_id: 'req-1',
      submitted_at: new Date().toISOString(),
    };
    await first.store.journal.add(entry);
    // Discarded (the run ended, or killed: the temp folder swept later): the entry stays.
    await first.discard();
    expect(await stat(first.store.root).catch(() => null)).toBeNull();
    const second = await openStoreOrStandIn(root);
    expect(await second.store.journal.list()).toEqual([
      expect.objectContaining({ key: entry.key, request_id: 'req-1' }),
    ]);
    const third = await openStoreOrStandIn(other);
    expect(await third.store.journal.list()).toEqual([]);
    await Promise.all([second.discard(), third.discard()]);
    expect((await stat(await journalOf(root))).mode & 0o777).toBe(0o700);
  });

  it('no stand-in where TMPDIR is no folder: one error naming both, exit 73 (was internal, 70)', async () => {
    await writeFile(join(base, 'file'), 'in the way');
    const root = join(base, 'file', 'cache');
    // os.tmpdir() reads TMPDIR at each call (the suite's own is set: global-tmp.ts).
    const before = tmpdir();
    process.env['TMPDIR'] = join(base, 'file');
    const error = await openStoreOrStandIn(root).then(
      () => null,
      (e: unknown) => e,
    );
    process.env['TMPDIR'] = before;
    expect(error).toMatchObject({
      code: 'E_CACHE_DIR',
      exitCode: 73,
      message:
        `cache dir ${root} is not writable (ENOTDIR: not a directory), and the temp folder ${join(base, 'file')} ` +
        'cannot be used for a stand-in: ENOTDIR: not a directory',
      hint: 'set TMPDIR or KONTEXT_CACHE_DIR to a writable folder',
    });
  });

  it('a journal folder others can read, or a link there, is not used: the journal is the run’s own', async () => {
    await writeFile(join(base, 'file'), 'in the way');
    const open = join(base, 'file', 'open');
    const linked = join(base, 'file', 'linked');
    made.push(await journalOf(open), await journalOf(linked));
    await mkdir(await journalOf(open));
    await chmod(await journalOf(open), 0o755);
    await mkdir(join(base, 'elsewhere'));
    await symlink(join(base, 'elsewhere'), await journalOf(linked));
    for (const root of [open, linked]) {
      const opened = await openStoreOrStandIn(root);
      expect(opened.warning).toBe(standInWarning(root, 'ENOTDIR: not a directory', null));
      await opened.store.journal.add({
        key: 'c'.repeat(64),
        node: 'a',
        provider: 'runcomfy',
        model: 'flux-kontext-pro',
        seed: 1,
        input_sha256: 'b'.repeat(64),
        submitted_at: new Date().toISOString(),
      });
      await opened.discard();
    }
    expect(await readdir(join(base, 'elsewhere'))).toEqual([]);
  });
});
