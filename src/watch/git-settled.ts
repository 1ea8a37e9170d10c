/**
 * A watch cycle waits while git is writing the work tree (a checkout, a stash, a pull: git holds
 * `index.lock` meanwhile), so it does not plan a tree half old, half new: a recipe already switched
 * with an asset not yet restored would be planned and its requests sent (walk-aa 7, seen once with a
 * `git stash`). A lock left by a crashed git does not hold a cycle longer than {@link GIT_WAIT_MS}.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { findProjectRoot } from '../recipe/project-root.js';
import { fileAsOpened } from '../util/real-path.js';

/** The longest a cycle waits for git's index lock to go. */
export const GIT_WAIT_MS = 5_000;
const LOOK_EVERY_MS = 50;

/**
 * The index lock of the repository holding `recipe` (resolved against `cwd`): `.git/index.lock`, or
 * for a worktree or submodule (`.git` a file, `gitdir: …`) the one in its git dir; `null` outside git.
 */
export function indexLockOf(recipe: string, cwd: string): string | null {
  const root = findProjectRoot(path.dirname(fileAsOpened(cwd, recipe)), cwd);
  const dotGit = path.join(root, '.git');
  try {
    if (statSync(dotGit).isDirectory()) return path.join(dotGit, 'index.lock');
    const gitdir = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'))?.[1];
    return gitdir === undefined ? null : path.join(path.resolve(root, gitdir), 'index.lock');
  } catch {
    return null;
  }
}

/** Wait while `lock` exists, {@link GIT_WAIT_MS} at most; whether it had to wait. */
export async function gitSettled(
  lock: string | null,
  sleep: (ms: number) => Promise<void>,
  now: () => number,
): Promise<boolean> {
  if (lock === null) return false;
  const until = now() + GIT_WAIT_MS;
  let waited = false;
  while (existsSync(lock) && now() < until) {
    waited = true;
    await sleep(LOOK_EVERY_MS);
  }
  return waited;
}
