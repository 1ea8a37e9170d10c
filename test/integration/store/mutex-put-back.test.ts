/**
 * Breaking a stale `.lck` (src/store/file-mutex.ts `breakStale`): it is moved aside, and when
 * what was moved turns out to be a live lock another waiter had just put there, that one is put
 * back. The put-back was a hard link only, which a disk without hard links (exFAT, FAT, many
 * network shares: link(2) says EPERM) refused silently: the live lock was deleted and a second
 * holder could enter; and a live lock moved between its holder's create and write was put back
 * empty (no pid: waiters timed out, its holder's release left it). Checked on the usual temp
 * folder and on a real exFAT disk (helpers/exfat-disk.ts; skipped, saying why, where none can be
 * mounted). A stale lock left empty (a crash between create and write) and a live one not yet
 * written have the same text: their mtimes tell them apart (the live one was deleted).
 */
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakStale } from '../../../src/store/file-mutex.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';

let disk: ExfatDisk | string = 'not mounted yet';
let local: string;
beforeAll(async () => {
  local = await mkdtemp(join(tmpdir(), 'kontext-mutex-'));
  disk = await mountExfat(16);
}, 60_000);
afterAll(async () => {
  await rm(local, { recursive: true, force: true });
  if (typeof disk === 'string') process.stderr.write(`mutex-put-back.test.ts: SKIPPED on exFAT: ${disk}\n`);
  else await disk.unmount();
});

const STALE = JSON.stringify({ pid: 999_999, created_at: 1, token: 'dead' });
const LIVE = JSON.stringify({ pid: 4242, created_at: 2, token: 'live' });

describe.each(['the temp folder', 'an exFAT disk'])('breakStale on %s', (where) => {
  async function folder(name: string): Promise<string> {
    let base = local;
    if (where === 'an exFAT disk') {
      if (typeof disk === 'string') throw new Error(disk);
      base = disk.dir;
    }
    const dir = join(base, name);
    await mkdir(dir);
    return join(dir, 'recipe.lock.json.lck');
  }
  const skipWithoutDisk = (ctx: { skip: (why: string) => void }): boolean => {
    if (where !== 'an exFAT disk' || typeof disk !== 'string') return false;
    ctx.skip(disk);
    return true;
  };

  it('removes the stale lock it judged', async (ctx) => {
    if (skipWithoutDisk(ctx)) return;
    const lck = await folder('stale');
    await writeFile(lck, STALE);
    await breakStale(lck, { raw: STALE, mtimeMs: 0 }, 'mine');
    expect(await readdir(join(lck, '..'))).toEqual([]);
  });

  it('puts back a live lock that replaced the stale one meanwhile, leaving nothing aside', async (ctx) => {
    if (skipWithoutDisk(ctx)) return;
    const lck = await folder('live');
    await writeFile(lck, LIVE);
    await breakStale(lck, { raw: STALE, mtimeMs: 0 }, 'mine');
    expect(await readFile(lck, 'utf8')).toBe(LIVE);
    expect(await readdir(join(lck, '..'))).toEqual(['recipe.lock.json.lck']);
  });

  /**
   * A holder's tryCreate (open O_EXCL, then write; its handle follows the file moved aside) that
   * writes only once `breaking` has moved its file aside: breakStale has read it empty. (With hard
   * links the put-back is the same file, and may be over before it is seen.)
   */
  async function holderWritesLate(lck: string, breaking: () => Promise<void>): Promise<void> {
    const dir = join(lck, '..');
    const holder = await open(lck, 'wx');
    try {
      let settled = false;
      const broken = breaking().finally(() => {
        settled = true;
      });
      const aside = async (): Promise<boolean> => settled || (await readdir(dir)).some((n) => n.endsWith('.stale'));
      for (const end = Date.now() + 5_000; !(await aside()); ) {
        if (Date.now() > end) throw new Error('the lock was never moved aside');
        await delay(1);
      }
      await delay(5);
      await holder.writeFile(LIVE);
      await broken;
    } finally {
      await holder.close();
    }
  }

  it('puts back a live lock created but not yet written with the text its holder then writes', async (ctx) => {
    if (skipWithoutDisk(ctx)) return;
    const lck = await folder('unwritten');
    await holderWritesLate(lck, () => breakStale(lck, { raw: STALE, mtimeMs: 0 }, 'mine'));
    expect(await readFile(lck, 'utf8')).toBe(LIVE);
    expect(await readdir(join(lck, '..'))).toEqual(['recipe.lock.json.lck']);
  });

  /** An empty lock file last modified a minute ago (a crash between create and write); its mtime. */
  async function emptyStale(lck: string): Promise<number> {
    await writeFile(lck, '');
    const minuteAgo = new Date(Date.now() - 60_000);
    await utimes(lck, minuteAgo, minuteAgo);
    return (await stat(lck)).mtimeMs;
  }

  it('removes an empty stale lock it judged', async (ctx) => {
    if (skipWithoutDisk(ctx)) return;
    const lck = await folder('empty-stale');
    const mtimeMs = await emptyStale(lck);
    await breakStale(lck, { raw: '', mtimeMs }, 'mine');
    expect(await readdir(join(lck, '..'))).toEqual([]);
  });

  it('puts back a live lock not yet written that replaced an empty stale one (same empty text)', async (ctx) => {
    if (skipWithoutDisk(ctx)) return;
    const lck = await folder('empty-replaced');
    const mtimeMs = await emptyStale(lck);
    await rm(lck); // another waiter broke it first, and took the lock:
    await holderWritesLate(lck, () => breakStale(lck, { raw: '', mtimeMs }, 'mine'));
    expect(await readFile(lck, 'utf8')).toBe(LIVE);
    expect(await readdir(join(lck, '..'))).toEqual(['recipe.lock.json.lck']);
  });
});
