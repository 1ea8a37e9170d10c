/**
 * Lock files a renamed recipe left behind. The lock is named after the recipe (`catalog.yml` →
 * `catalog.lock.json`), so `git mv catalog.yml products.yml` starts `products.lock.json` empty;
 * the old lock still records every seed, and a node whose seed the lock kept while its prompt
 * changed has a seed its derived one (derived-seed.ts) is not. Without it those nodes were paid
 * for again. A lock beside the recipe's own whose recipe is gone (`<stem>.lock.json` with no
 * other `<stem>.<ext>` file in the folder) is a stray: its entries join the orphans a new
 * node may take its seed from by asking exactly what an entry asked (orphans.ts). A lock whose
 * recipe is there belongs to that recipe and is left alone. A stray is read as the recipe's own
 * lock is (its outputs checked by the same write guard); one that cannot be read, or that git
 * left conflicted, gives nothing.
 * A recipe moved to another folder without its lock (`git mv catalog/bags.yml campaigns/`) has
 * no lock and none beside it: then a lock of its name elsewhere in the project (the folder
 * holding `.git`) whose recipe is gone there is its stray ({@link strayLockPaths}), so the move is
 * as free as a rename. Looked for only then, and never outside a git project.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { readLockState } from '../store/lock-file.js';
import type { LockEntry } from '../store/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import { findLockFiles } from './project-locks.js';

const LOCK_SUFFIX = '.lock.json';

/** The entries of the stray locks beside `lockPath`, read on the first call only; by file name, then node id. */
export function strayLockEntries(lockPath: string, guard: WriteGuard): () => Promise<readonly LockEntry[]> {
  let read: Promise<readonly LockEntry[]> | null = null;
  return () => {
    read ??= readStrays(lockPath, guard);
    return read;
  };
}

/**
 * The stray locks of `lockPath`'s recipe (absolute paths, by name): those beside it, or, when
 * there are none and the recipe has no lock yet, the locks of its name elsewhere in its git
 * project whose recipe is gone there (a recipe moved without its lock). What `kontext status` lists.
 */
export async function strayLockPaths(lockPath: string): Promise<string[]> {
  const beside = (await locksBeside(lockPath)).stray;
  if (beside.length > 0 || existsSync(lockPath)) return beside;
  return movedAway(lockPath);
}

/** Locks named as `lockPath` in other folders of its git project, each one whose recipe is gone there. */
async function movedAway(lockPath: string): Promise<string[]> {
  const root = gitRootOf(dirname(lockPath));
  if (root === null) return [];
  const name = basename(lockPath);
  const found = (await findLockFiles([root], '')).filter((p) => basename(p) === name && p !== lockPath);
  const out: string[] = [];
  for (const path of found) if (await recipeGone(path)) out.push(path);
  return out;
}

/** The nearest folder at or above `dir` holding `.git`; null when none does. */
function gitRootOf(dir: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return null;
  }
}

/** No file beside the lock at `path` has its stem (its recipe is gone: renamed or moved). */
async function recipeGone(path: string): Promise<boolean> {
  return (await locksIn(dirname(path))).stray.includes(path);
}

/**
 * The other lock files beside `lockPath` (absolute paths, by name): `stray`, those whose recipe
 * is gone, and `owned`, those of another recipe in the folder.
 */
async function locksBeside(lockPath: string): Promise<{ stray: string[]; owned: string[] }> {
  return locksIn(dirname(lockPath), basename(lockPath));
}

/** The lock files in `dir` but `except` (a name), as {@link locksBeside} sorts them. */
export async function locksIn(dir: string, except = ''): Promise<{ stray: string[]; owned: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries.map((e) => e.name);
  // A recipe may have any extension: a lock is stray only when no other file has its stem (a
  // stray that is not one would lend seeds harmlessly, but status would tell to delete it). A
  // folder is no recipe (`recipe/` beside a renamed `recipe.yml`'s old lock).
  const stems = new Set(
    entries
      .filter((e) => !e.isDirectory() && !e.name.endsWith(LOCK_SUFFIX))
      .map((e) => basename(e.name, extname(e.name))),
  );
  const out = { stray: [] as string[], owned: [] as string[] };
  for (const name of names.filter((n) => n.endsWith(LOCK_SUFFIX) && n !== except).sort()) {
    const stem = name.slice(0, -LOCK_SUFFIX.length);
    if (stem !== '') (stems.has(stem) ? out.owned : out.stray).push(join(dir, name));
  }
  return out;
}

async function readStrays(lockPath: string, guard: WriteGuard): Promise<readonly LockEntry[]> {
  const entries: LockEntry[] = [];
  for (const path of await strayLockPaths(lockPath)) {
    const state = await readLockState(path, { outputs: guard }).catch(() => null);
    if (!state || state.sides !== null) continue;
    const { nodes } = state.lock;
    for (const id of Object.keys(nodes).sort()) entries.push(nodes[id] as LockEntry);
  }
  return entries;
}
