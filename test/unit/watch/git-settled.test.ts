/** git-settled.ts: where a repository's index lock is, and a stale one holding a cycle 5 s at most. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GIT_WAIT_MS, gitSettled, indexLockOf } from '../../../src/watch/git-settled.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kontext-git-settled-'));
  dirs.push(d);
  return d;
}

describe('indexLockOf', () => {
  it('a repository: .git/index.lock; a worktree (.git a file): its git dir; outside git: null', async () => {
    const repo = await temp();
    await mkdir(join(repo, '.git'));
    await mkdir(join(repo, 'recipes'));
    expect(indexLockOf('recipes/r.yml', repo)).toBe(join(repo, '.git', 'index.lock'));
    const wt = await temp();
    await writeFile(join(wt, '.git'), `gitdir: ${join(repo, '.git', 'worktrees', 'wt')}\n`);
    expect(indexLockOf(join(wt, 'r.yml'), repo)).toBe(join(repo, '.git', 'worktrees', 'wt', 'index.lock'));
    const bare = await temp();
    expect(indexLockOf(join(bare, 'r.yml'), bare)).toBeNull();
  });
});

describe('gitSettled', () => {
  it('no lock: no wait; a lock never removed (a crashed git): waits 5 s, then goes on', async () => {
    const repo = await temp();
    const lock = join(repo, 'index.lock');
    let t = 0;
    const sleep = async (ms: number): Promise<void> => {
      t += ms;
    };
    expect(await gitSettled(lock, sleep, () => t)).toBe(false);
    expect(t).toBe(0);
    await writeFile(lock, '');
    expect(await gitSettled(lock, sleep, () => t)).toBe(true);
    expect(t).toBeGreaterThanOrEqual(GIT_WAIT_MS);
    expect(t).toBeLessThan(GIT_WAIT_MS + 100);
  });
});
