/**
 * A paid request the lock lacks: an interrupted `--reseed` left it in the journal with its id, and
 * the node takes its seed over the lock's (seeds.ts `paidUnlocked`), so the next run re-attaches to
 * it rather than leaving it unused. Only this recipe's own requests count (its lock file, named
 * directly or through a link), made to replace the lock's entry as it is; a re-attach to one never pays
 * (execute.ts `overLock`).
 */
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PlanNode } from '../plan/types.js';
import type { JournalEntry, LockEntry } from '../store/types.js';
import { providerOf } from './node-provider.js';
import { keyFor } from './node-request.js';
import type { ResolveDeps } from './resolve.js';
import { isLiveOwner } from './submit-claim.js';

/**
 * The seed of the node's newest journaled request with its id that a run of this recipe made (its
 * lock file, the same file through a link too) to replace the lock's entry as it is, that the node as it asks
 * now is keyed by, and that no live run owns: paid for, never locked (seeds.ts `paidUnlocked`).
 * Another recipe's requests for a node of the same id are not looked at.
 */
export function paidUnlockedSeed(node: PlanNode, inputSha: string | null, locked: LockEntry, deps: ResolveDeps) {
  const lockPath = deps.lockPath;
  if (inputSha === null || lockPath === undefined || deps.journalEntries === undefined) return undefined;
  const provider = providerOf(node, deps.providerName);
  let newest: JournalEntry | undefined;
  for (const entry of entriesOfNode(deps.journalEntries, node.id)) {
    if (
      entry.request_id === undefined ||
      entry.lock === undefined ||
      !sameFile(deps.journalEntries, entry.lock, lockPath)
    )
      continue;
    // Made to replace the lock's entry as it is: one a later `--reseed` replaced does not come back
    // over it. By the entry it replaces, not by comparing its time with the lock's, two machines'
    // clocks (walk-ae 2: a reseed on a clock behind the lock's `finished_at` was dropped, paid for);
    // an entry of an older kontext, without it, by that time still.
    if (!replacesLocked(entry, locked)) continue;
    // With the lock's own seed it is no --reseed's (a prompt changed, say): the lock's seed keys
    // the node to it anyway, and if it is lost the node runs anew (walk-q: it said E_RESEED_LOST).
    if (entry.seed === locked.seed) continue;
    if (entry.key !== keyFor(node, provider, inputSha, entry.seed)) continue;
    if (newest === undefined || Date.parse(entry.submitted_at) > Date.parse(newest.submitted_at)) newest = entry;
  }
  if (newest === undefined) return undefined;
  const self = { pid: deps.self?.pid ?? -1, isAlive: (pid: number) => deps.self?.isAlive(pid) ?? false, run: '' };
  return isLiveOwner(newest, self) ? undefined : newest.seed;
}

/** Whether a journaled request was made to replace the lock's entry `locked` (see above). */
function replacesLocked(entry: JournalEntry, locked: LockEntry): boolean {
  if (entry.replaces !== undefined) return entry.replaces === locked.request_id;
  return Date.parse(entry.submitted_at) > Date.parse(locked.finished_at);
}

/** Per journal listing: its entries by node id, and each lock path named, through its folder's links. */
interface Listing {
  readonly byNode: Map<string, JournalEntry[]>;
  readonly realLocks: Map<string, string>;
}

const listings = new WeakMap<ReadonlyMap<string, JournalEntry>, Listing>();

function listingOf(entries: ReadonlyMap<string, JournalEntry>): Listing {
  let listing = listings.get(entries);
  if (listing === undefined) {
    const byNode = new Map<string, JournalEntry[]>();
    for (const e of entries.values()) (byNode.get(e.node) ?? byNode.set(e.node, []).get(e.node))?.push(e);
    listing = { byNode, realLocks: new Map() };
    listings.set(entries, listing);
  }
  return listing;
}

/** The journal's entries of node `id` (grouped once per listing). */
function entriesOfNode(entries: ReadonlyMap<string, JournalEntry>, id: string): readonly JournalEntry[] {
  return listingOf(entries).byNode.get(id) ?? [];
}

/**
 * Whether two lock paths name one file: the same text, or the same after their folders' links
 * (each path's real folder asked of the disk once per listing, not once per node).
 */
function sameFile(entries: ReadonlyMap<string, JournalEntry>, a: string, b: string): boolean {
  if (a === b) return true;
  const { realLocks } = listingOf(entries);
  const real = (path: string): string => {
    let known = realLocks.get(path);
    if (known === undefined) {
      known = realFolderOf(path);
      realLocks.set(path, known);
    }
    return known;
  };
  return real(a) === real(b);
}

/** `path` with its folder's links resolved (as it is when the folder cannot be read): one lock file by any path. */
export function realFolderOf(path: string): string {
  try {
    return join(realpathSync.native(dirname(path)), basename(path));
  } catch {
    return path;
  }
}
