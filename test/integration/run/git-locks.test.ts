/**
 * The lock files of a project's git branches and stashes (run/git-locks.ts), read from a real
 * repository: a project in a subfolder sees only its own, a branch named like an option is read as
 * a branch, an inherited GIT_DIR does not point gc at another repository, and a lock committed
 * with conflict markers protects both its sides (gc-roots.ts) (review-ac 5, 6, 7), and a lock never added but
 * stashed with `git stash -u` is read from the stash's untracked-files commit (walk-ag 3).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitLocks } from '../../../src/run/git-locks.js';
import { readGcRoots } from '../../../src/store/gc-roots.js';
import { lockEntry } from '../../helpers/lock-entries.js';

let repo = '';
let proj = '';
let other = '';
const lockText = (...seeds: number[]): string =>
  `${JSON.stringify({ version: 1, nodes: Object.fromEntries(seeds.map((s) => [`n${s}`, lockEntry(s)])) }, null, 2)}\n`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_COMMITTER_NAME: 'T' },
  });
}

async function commit(cwd: string, files: Record<string, string>, message: string): Promise<void> {
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(cwd, f, '..'), { recursive: true });
    await writeFile(join(cwd, f), text);
  }
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-qm', message);
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'kontext-git-locks-'));
  proj = join(repo, 'proj');
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 't@example.invalid');
  await commit(
    repo,
    { 'proj/r.lock.json': lockText(1), 'proj/sub/s.lock.json': lockText(2), 'x.lock.json': lockText(9) },
    'a',
  );
  git(repo, 'checkout', '-qb', 'b');
  await commit(repo, { 'proj/r.lock.json': lockText(3) }, 'b');
  // A branch named like an option, and a lock committed in the middle of a merge conflict.
  git(repo, 'update-ref', 'refs/heads/--output=x', 'HEAD');
  git(repo, 'symbolic-ref', 'HEAD', 'refs/heads/--output=x');
  await commit(repo, { 'proj/r.lock.json': `<<<<<<< HEAD\n${lockText(4)}=======\n${lockText(5)}>>>>>>> other\n` }, 'c');
  git(repo, 'checkout', '-q', 'main');
  // A new recipe's lock, never added, stashed with `git stash -u` (in the stash's third parent: walk-ag 3).
  await writeFile(join(proj, 'fresh.lock.json'), lockText(10));
  git(repo, 'stash', '-q', '-u');
  // An older stash holding a lock file no commit has, then a newer one.
  await writeFile(join(proj, 'new.lock.json'), lockText(8));
  git(repo, 'add', 'proj/new.lock.json');
  git(repo, 'stash', '-q');
  await writeFile(join(proj, 'r.lock.json'), lockText(6));
  git(repo, 'stash', '-q');
  // Another repository an inherited GIT_DIR would point at.
  other = await mkdtemp(join(tmpdir(), 'kontext-git-other-'));
  git(other, 'init', '-q', '-b', 'main');
  git(other, 'config', 'user.email', 't@example.invalid');
  await commit(other, { 'proj/r.lock.json': lockText(7) }, 'other');
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
  await rm(other, { recursive: true, force: true });
});

describe('gitLocks', () => {
  it("reads every branch's and stash's locks under the project, one per distinct object", async () => {
    const locks = await gitLocks(proj, { ...process.env, GIT_DIR: join(other, '.git'), GIT_WORK_TREE: other });
    const names = locks.map((l) => l.name);
    expect(names.filter((n) => n.endsWith(':r.lock.json')).sort()).toEqual([
      '--output=x:r.lock.json',
      'b:r.lock.json',
      'main:r.lock.json',
      'stash@{0}:r.lock.json',
    ]);
    // The same object on every branch: read once, named by the newest branch holding it.
    expect(names.filter((n) => n.endsWith(':sub/s.lock.json'))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith(':new.lock.json'))).toEqual(['stash@{1}:new.lock.json']);
    expect(names.filter((n) => n.endsWith(':fresh.lock.json'))).toEqual(['stash@{2}^3:fresh.lock.json']);
    expect(names).toHaveLength(7);
    const roots = await readGcRoots(await mkdtemp(join(tmpdir(), 'kontext-git-cache-')), [], locks);
    // Seeds 1-6, 8 and 10 (its key 0…; 4 and 5: both sides of the conflicted one); not 9 (outside the project), nor 7.
    expect([...roots.keys].map((k) => Number(k[0])).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8]);
  });

  it('outside any repository, or without git, none', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'kontext-no-git-'));
    try {
      expect(await gitLocks(bare, { ...process.env, GIT_CEILING_DIRECTORIES: tmpdir() })).toEqual([]);
      expect(await gitLocks(proj, { ...process.env, PATH: bare })).toEqual([]);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
