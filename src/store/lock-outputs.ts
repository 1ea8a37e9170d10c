/**
 * A lock read with the run's write guard: the first entry, by node id, whose output really leads
 * where kontext must neither read nor write (store/write-guard.ts) is exit 65 at the lock's line
 * of that output, or, in a side of a conflicted lock, at that side's line, naming the side.
 */
import { dirname, resolve } from 'node:path';
import { realPathDeepSync } from '../util/real-path.js';
import { LockFileError } from './errors.js';
import { formatPath, lineCol, locatePath } from '../util/json-locate.js';
import type { SideSource } from './lock-conflict.js';
import type { LockFile } from './types.js';
import { lockedFileRefusal, symlinkChecker, type WriteGuard } from './write-guard.js';

/**
 * Throws {@link LockFileError} (exit 65) at the first entry, by node id, whose output the guard
 * refuses; in a side of a conflicted lock, at that side's line of the file, naming the side.
 */
export function checkLockOutputs(
  lock: LockFile,
  source: { readonly text: string } | SideSource,
  path: string,
  guard: WriteGuard,
): void {
  const dirs = new Map<string, string>();
  const realDir = (dir: string): string => {
    let real = dirs.get(dir);
    if (real === undefined) {
      real = realPathDeepSync(dir);
      dirs.set(dir, real);
    }
    return real;
  };
  const isLink = symlinkChecker();
  const ids = Object.keys(lock.nodes).sort();
  const lockDir = dirname(path);
  const refusals = ids.map((id) =>
    lockedFileRefusal(resolve(lockDir, lock.nodes[id]?.output ?? ''), guard, realDir, isLink),
  );
  const at = refusals.findIndex((r) => r !== null);
  const refusal = refusals[at];
  const id = ids[at];
  if (refusal === undefined || refusal === null || id === undefined) return;
  const output = lock.nodes[id]?.output ?? '';
  const found = lineCol(source.text, locatePath(source.text, ['nodes', id, 'output']));
  const side = 'lines' in source ? source : null;
  const line = side === null ? found.line : (side.lines[found.line - 1] ?? 1);
  const col = found.col;
  const where = formatPath(['nodes', id, 'output']);
  const inSide = side === null ? '' : ` (in the ${side.name} side of the git conflict)`;
  throw new LockFileError(
    `${path}:${line}:${col}: node ${JSON.stringify(id)}: ${where} ${JSON.stringify(output)} ` +
      `leads to ${refusal.real}: ${refusal.why}${inSide}`,
    {
      hint: lockOutputHint(path, output, refusal.throughLink, side !== null),
      location: { file: path, line, col },
    },
  );
}

/** What to do about a lock entry's refused output: the link on disk, the conflict's side, or the lock. */
function lockOutputHint(path: string, output: string, throughLink: boolean, inSide: boolean): string {
  if (throughLink)
    return (
      `the lock is not at fault: ${output} on disk is a symbolic link, or lies in a linked folder, leading ` +
      'there; replace it with a copy of what it points to (free, when that holds the result), or remove that ' +
      'link (the next run writes the output again: from the cache, or paid for)'
    );
  if (inSide)
    return (
      'a lock only names outputs of its recipe inside the project: fix that side at this line, or take the ' +
      'other side whole (git checkout --ours or --theirs on the lock)'
    );
  return `a lock only names outputs of its recipe inside the project; restore ${path} from git or delete that entry`;
}
