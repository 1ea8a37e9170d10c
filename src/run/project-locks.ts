/**
 * Every `*.lock.json` of a project: what `kontext gc` keeps the results of, and whose outputs
 * `kontext clean` and `status` leave to their own recipe (shared-outputs.ts: recipes in other
 * folders may share an `out:` folder too).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Folders never searched for lock files: tools' and VCS folders, and output folders. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'out']);

/**
 * Every `*.lock.json` under these folders, sorted. Symlinks are not followed; `node_modules`,
 * `.git`, folders named `out` and cache dirs (`cacheDir`, and any holding `CACHEDIR.TAG`) are skipped.
 */
export async function findLockFiles(roots: readonly string[], cacheDir = ''): Promise<string[]> {
  const found = new Set<string>();
  const pending = [...roots];
  const seen = new Set<string>();
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    if (seen.has(dir) || dir === cacheDir) continue;
    seen.add(dir);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.name === 'CACHEDIR.TAG' && e.isFile())) continue;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) pending.push(join(dir, e.name));
      else if (e.isFile() && e.name.endsWith('.lock.json')) found.add(join(dir, e.name));
    }
  }
  return [...found].sort();
}
