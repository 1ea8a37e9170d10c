/**
 * The `*.lock.json` files of a project's other git branches and of its stashes, for `kontext gc`:
 * with `out/` ignored, the results a branch paid for live only in the cache, and gc pruned them
 * while another branch was checked out; switching back paid for them all again (walk-v 3). Read
 * with the `git` on PATH, in the project's folder (so only the locks under it); a folder outside
 * any repository, or no git, adds none. Loaded only by gc (its `child_process` stays out of every
 * other command's start).
 */
import { execFile } from 'node:child_process';

/** A lock file as one git object holds it: named `<ref>:<path>`, as git names it. */
export interface GitLock {
  readonly name: string;
  readonly text: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** At most this many branches and stashes are read: a repository with thousands protects its newest. */
const MAX_REFS = 500;

/** The lock files of every local branch and stash of the repository `root` is in, under `root`. */
export async function gitLocks(root: string, env: Env): Promise<GitLock[]> {
  const refs = await git(root, env, [
    'for-each-ref',
    '--sort=-committerdate',
    `--count=${MAX_REFS}`,
    '--format=%(refname:short)',
    'refs/heads',
  ]);
  if (refs === null) return [];
  const stashes = (await git(root, env, ['stash', 'list', '--format=%gd'])) ?? '';
  const names = [...lines(refs), ...lines(stashes)].slice(0, MAX_REFS);
  // One object read once, however many branches hold it; named by the first that does.
  const objects = new Map<string, string>();
  for (const ref of names) {
    const tree = await git(root, env, ['ls-tree', '-r', '-z', ref, '--']);
    if (tree === null) continue;
    for (const entry of tree.split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
      if (!m?.[1] || !m[2]?.endsWith('.lock.json') || objects.has(m[1])) continue;
      objects.set(m[1], `${ref}:${m[2]}`);
    }
  }
  const locks: GitLock[] = [];
  for (const [oid, name] of objects) {
    const text = await git(root, env, ['cat-file', 'blob', oid]);
    if (text !== null) locks.push({ name, text });
  }
  return locks;
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** git's output, or `null` when it fails (no repository, no git, a ref gone meanwhile). */
function git(cwd: string, env: Env, args: readonly string[]): Promise<string | null> {
  return new Promise((done) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...env, LC_ALL: 'C' }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, windowsHide: true },
      (error, stdout) => done(error === null ? stdout : null),
    );
  });
}
