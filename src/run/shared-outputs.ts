/**
 * The outputs other lock files beside a recipe's name. Recipes in one folder with the same
 * `name:` share `<out>/<name>/`: a file another recipe's lock names is that recipe's, never an
 * orphan of this one (`kontext clean`, `status`: clean-scan.ts). And two such recipes with the
 * same pass ids overwrite each other's outputs: each run writes its own result where the other's
 * was, and copies it back from the cache the next time (nothing is paid, but the folder never
 * holds both, and a reviewer sees whichever ran last). So after a run that wrote outputs, the
 * files it wrote are looked up in the other recipes' locks: one warning per lock naming any. A
 * lock whose recipe is gone (stray-locks.ts: a renamed recipe's, whose files are the new one's
 * to take) is left out of that. Recipes in other folders sharing an `out:` are not seen. Paths are
 * compared as macOS, Windows and exFAT compare them (util/fold-path.ts): `name: Shoot` and
 * `name: shoot` write two folders here and one on a teammate's Mac, said as such.
 */
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { readLockState } from '../store/lock-file.js';
import { foldPath } from '../util/fold-path.js';
import { locksBeside } from './stray-locks.js';

/** At most this many paths named in one warning. */
const NAMED = 3;

/**
 * Output path (absolute) → the lock file beside `lockPath` naming it (the first by name), over
 * `owned` locks (another recipe's) or every other lock (strays too). Both sides of a lock git
 * left conflicted count; a lock that cannot be read names nothing.
 */
export async function lockOutputsBeside(lockPath: string, which: 'owned' | 'all'): Promise<Map<string, string>> {
  const locks = await locksBeside(lockPath);
  const paths = which === 'owned' ? locks.owned : [...locks.owned, ...locks.stray].sort();
  const outputs = new Map<string, string>();
  for (const other of paths) {
    const state = await readLockState(other).catch(() => null);
    if (!state) continue;
    const dir = dirname(other);
    for (const lock of state.sides ? [state.sides.ours, state.sides.theirs] : [state.lock])
      for (const entry of Object.values(lock.nodes)) {
        const path = resolve(dir, entry.output);
        if (!outputs.has(path)) outputs.set(path, other);
      }
  }
  return outputs;
}

/**
 * A warning per other recipe's lock beside `lockPath` naming any of `written` (the absolute paths
 * a run wrote), the files named relative to the recipe's folder.
 */
export async function sharedOutputWarnings(lockPath: string, written: ReadonlySet<string>): Promise<string[]> {
  if (written.size === 0) return [];
  const folded = new Map([...written].map((path) => [foldPath(path), path]));
  const byLock = new Map<string, { readonly shared: string[]; caseOnly: boolean }>();
  for (const [path, lock] of await lockOutputsBeside(lockPath, 'owned')) {
    const ours = written.has(path) ? path : folded.get(foldPath(path));
    if (ours === undefined) continue;
    const seen = byLock.get(lock) ?? { shared: [], caseOnly: true };
    seen.shared.push(ours);
    seen.caseOnly &&= ours !== path;
    byLock.set(lock, seen);
  }
  return [...byLock].sort().map(([lock, { shared, caseOnly }]) => {
    const paths = shared.map((path) => relative(dirname(lockPath), path).split(sep).join('/')).sort();
    const named = paths.slice(0, NAMED).join(', ') + (paths.length > NAMED ? ` and ${paths.length - NAMED} more` : '');
    const one = paths.length === 1;
    const what = one ? 'is also an output' : 'are also outputs';
    const also = `${named} ${what} of the recipe of ${basename(lock)}`;
    if (caseOnly)
      // Two files here, one where names are compared without case: each recipe finds the other's file there.
      return (
        `${also}, but for upper and lower case: on macOS, Windows or an exFAT disk they are one file, ` +
        "and the two recipes overwrite each other's files there; give each recipe its own out: folder or name"
      );
    return (
      `${also}: the two recipes overwrite each other's files (nothing is paid: each run copies its own back from ` +
      'the cache); give each recipe its own out: folder'
    );
  });
}
