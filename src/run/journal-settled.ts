/**
 * Journal entries whose result is already recorded and locked. The scheduler drops a node's
 * entry only once the lock holds the node (until then the entry is where a drawn seed survives a
 * kill -9), so a kill -9 between the lock write and that removal leaves one behind. When this
 * plan's lock names the same key and request id, nothing is in flight: resolve treats the entry
 * as absent and a run removes it. Else `--force` of that node would re-attach to the old request
 * instead of submitting, and `kontext gc` would keep its record as in flight for ever. Entries
 * the lock does not name that way (another recipe's, a seed not locked yet) are left alone.
 */
import type { JournalEntry, LockFile, Store } from '../store/types.js';
import { isLiveOwner } from './submit-claim.js';

/** The entries of `entries` that `lock` proves finished (same key and request id). */
export function settledEntries(entries: readonly JournalEntry[], lock: LockFile): JournalEntry[] {
  if (entries.length === 0) return [];
  const locked = new Set(Object.values(lock.nodes).map((e) => `${e.key}:${e.request_id}`));
  return entries.filter((e) => e.request_id !== undefined && locked.has(`${e.key}:${e.request_id}`));
}

/**
 * Remove the journal entries `lock` proves finished (each only if it still names that request),
 * but not one another live run owns: a run of another recipe sharing the cache, whose record this
 * recipe took as a cache hit and locked, still needs its entry until its own lock holds the node
 * (removed under it, that run wrote it back as if the cache dir had been deleted).
 * Returns the requests left, key → request id (intents aside): one whose record a run takes as a
 * cache hit is dropped by the run once the lock holds its node. `listed`: the entries the run's
 * resolve read (prepare.ts), so the folder is listed once per run; an entry written since by
 * another process is left to it (a removal re-reads the file and drops only the request named).
 */
export async function dropSettledEntries(
  store: Store,
  lock: LockFile,
  listed: readonly JournalEntry[] | undefined,
  self: Parameters<typeof isLiveOwner>[1],
): Promise<ReadonlyMap<string, string>> {
  const entries = listed ?? (await store.journal.list());
  const settled = settledEntries(entries, lock).filter((e) => !isLiveOwner(e, self));
  await Promise.all(settled.map((e) => store.journal.remove(e.key, e.request_id ?? null)));
  const left = new Map<string, string>();
  for (const e of entries) if (e.request_id !== undefined && !settled.includes(e)) left.set(e.key, e.request_id);
  return left;
}

/**
 * Remove the entry of `key` when it names `requestId` (a request this run finished, or took the
 * record of), unless another live run owns it (a run of another recipe sharing the cache, whose
 * record this one took): that run drops it once its own lock holds the node, and until then it is
 * what a kill -9 of that run re-attaches by. `ownIntent` (a request this run submitted whose id
 * never reached the journal: both writes failed): this run's intent for the key stands for it and
 * goes too; left, a later `--force` of the node would stop as maybe paid. Only then: another
 * intent of this run for the key (a forced node's new submit) is not this request's.
 */
export async function dropFinishedEntry(
  store: Store,
  key: string,
  requestId: string,
  self: Parameters<typeof isLiveOwner>[1],
  ownIntent = false,
): Promise<void> {
  const entry = await store.journal.get(key);
  if (entry !== null && isLiveOwner(entry, self)) return;
  if (ownIntent && entry !== null && entry.request_id === undefined && entry.run === self.run)
    return store.journal.remove(key, null, self.run);
  await store.journal.remove(key, requestId);
}

/**
 * `drop` (a finished request's journal entry) once `holds` says the lock on disk names the node,
 * at once where there is no lock (`undefined`: `kontext edit`); never after a failed lock write:
 * the entry is then what brings the result (a `--reseed`'s new seed) to the next run. Never rejects.
 */
export function dropOnceLocked(holds: Promise<boolean> | undefined, drop: () => Promise<void>): Promise<void> {
  const dropped = holds === undefined ? drop() : holds.then((held) => (held ? drop() : undefined));
  return dropped.catch(() => undefined);
}
