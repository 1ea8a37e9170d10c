/**
 * The outputs the other lock files of a project name. Recipes in one folder with the same
 * `name:` share `<out>/<name>/`, and recipes in other folders may name one `out:` folder: a file
 * another recipe's lock names is that recipe's, never an orphan of this one (`kontext clean`,
 * `status`: clean-scan.ts). And two such recipes with the same pass ids overwrite each other's
 * outputs: each run writes its own result where the other's was, and copies it back from the
 * cache the next time (nothing is paid, but the folder never holds both, and a reviewer sees
 * whichever ran last). So after a run that wrote outputs, the files it wrote are looked up in the
 * other recipes' locks: one warning per lock naming any (`run a.yml b.yml` of two such recipes
 * warns at the second, the first's lock written by then). A lock whose recipe is gone
 * (stray-locks.ts: a renamed recipe's, whose files are the new one's to take) is left out of
 * that. The lock files are those beside the recipe's and, in a git project, those gc finds in it
 * (project-locks.ts: not under `.git`, `node_modules`, a folder named `out` or a cache); without
 * `.git` the project root is the working directory, which may be a home folder: not walked. Paths
 * are compared as macOS, Windows and exFAT compare them (util/fold-path.ts): `name: Shoot` and
 * `name: shoot` write two folders here and one on a teammate's Mac, said as such.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { readLockState } from '../store/lock-file.js';
import { foldPath } from '../util/fold-path.js';
import { findLockFiles } from './project-locks.js';
import { locksIn } from './stray-locks.js';

/** At most this many paths named in one warning. */
const NAMED = 3;

/** Where the other lock files are looked for: beside the recipe's, and in its project. */
export interface LockScope {
  readonly lockPath: string;
  /** The recipe's project root (`Recipe.projectRoot`). */
  readonly projectRoot: string;
}

/**
 * Output path (absolute) → the other lock file of the project naming it (the first by path), over
 * `owned` locks (another recipe's) or every other lock (strays too). Both sides of a lock git
 * left conflicted count; a lock that cannot be read names nothing.
 */
export async function otherLockOutputs(at: LockScope, which: 'owned' | 'all'): Promise<Map<string, string>> {
  const here = dirname(at.lockPath);
  // Only a git project is walked: without `.git` the root is the working directory (a home folder, say).
  const walked = existsSync(join(at.projectRoot, '.git')) ? await findLockFiles([at.projectRoot]) : [];
  const dirs = new Set([here, ...walked.map((file) => dirname(file))]);
  const paths: string[] = [];
  for (const dir of dirs) {
    const locks = await locksIn(dir, dir === here ? basename(at.lockPath) : '');
    paths.push(...locks.owned, ...(which === 'owned' ? [] : locks.stray));
  }
  paths.sort();
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
 * A warning per other recipe's lock in the project naming any of `written` (the absolute paths
 * a run wrote), the files and the lock named relative to the recipe's folder.
 */
export async function sharedOutputWarnings(at: LockScope, written: ReadonlySet<string>): Promise<string[]> {
  const { lockPath } = at;
  if (written.size === 0) return [];
  const folded = new Map([...written].map((path) => [foldPath(path), path]));
  const byLock = new Map<string, { readonly shared: string[]; caseOnly: boolean }>();
  for (const [path, lock] of await otherLockOutputs(at, 'owned')) {
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
    const also = `${named} ${what} of the recipe of ${relative(dirname(lockPath), lock).split(sep).join('/')}`;
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
