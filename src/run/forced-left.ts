/**
 * A paid request an interrupted `--force` left in the journal. A forced node keeps its seed, so
 * its new request has the key the lock already names: the next plain run finds the node up to
 * date and never re-attaches to it, and the request stays in the journal, paid and not collected.
 * The run and the dry run say so (one notice), with the command that collects it at no new charge
 * while the provider holds it (`--force` of the node re-attaches to the journaled request:
 * submit-claim.ts `claimVerdict`; a request gone at the API is given up and submitted anew, paid).
 */
import type { JournalEntry, LockFile } from '../store/types.js';
import type { NodeState } from './resolve.js';
import { isLiveOwner } from './submit-claim.js';
import { realFolderOf } from './paid-unlocked.js';

/** Who this process is (the runtime: pid, `isAlive`). */
interface Self {
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
}

/**
 * The up-to-date nodes whose key has a journaled request of this recipe (its lock file `lockPath`,
 * the same file through a link too) other than the one the lock names, owned by no live run;
 * sorted by node id.
 */
export function forcedLeftBehind(
  states: ReadonlyMap<string, NodeState>,
  journal: readonly JournalEntry[],
  lock: LockFile,
  lockPath: string,
  self: Self,
): { readonly node: string; readonly requestId: string }[] {
  const byKey = new Map(journal.filter((e) => e.request_id !== undefined).map((e) => [e.key, e]));
  if (byKey.size === 0) return [];
  const owner = { pid: self.pid, isAlive: self.isAlive, run: '' };
  const ownLock = sameLockFile(lockPath);
  const left: { node: string; requestId: string }[] = [];
  for (const state of states.values()) {
    if (state.status !== 'cached' || state.key === null) continue;
    const locked = lock.nodes[state.node.id];
    const entry = byKey.get(state.key);
    if (locked === undefined || entry?.request_id === undefined || locked.key !== state.key) continue;
    if (entry.request_id === locked.request_id || entry.lock === undefined || !ownLock(entry.lock)) continue;
    if (isLiveOwner(entry, owner)) continue;
    left.push({ node: state.node.id, requestId: entry.request_id });
  }
  return left.sort((a, b) => a.node.localeCompare(b.node, 'en'));
}

/** The notice for {@link forcedLeftBehind}'s nodes (none: `null`). */
export function forcedLeftNotice(
  left: readonly { readonly node: string; readonly requestId: string }[],
): string | null {
  if (left.length === 0) return null;
  const named = left.map((l) => `${l.node} (request ${l.requestId})`).join(', ');
  const flags = left.map((l) => `--force ${l.node}`).join(' ');
  return (
    `paid requests an interrupted --force left in the journal, not collected: ${named}; ` +
    `this run keeps the outputs the lock names; ${flags} collects them at no new charge while the ` +
    'provider still holds them (once gone, --force submits anew and pays; a new image runs the nodes below again)'
  );
}

/** Whether a journaled lock path names `lockPath`: the same text, or the same file through its folder's links. */
function sameLockFile(lockPath: string): (path: string) => boolean {
  let mine: string | undefined;
  return (path) => {
    if (path === lockPath) return true;
    mine ??= realFolderOf(lockPath);
    return realFolderOf(path) === mine;
  };
}
