/**
 * A seed follows content, not names: lock entries whose node left the plan (a renamed pass,
 * a renamed image file) are kept as "orphans", and a new node (no lock entry, no pinned seed)
 * asking exactly what an orphan asked (same provider, model, prompt, input bytes and params)
 * takes its entry, so its seed, key and output are reused and the rename costs nothing.
 * Each orphan is taken at most once (variants of a renamed pass each take one, in id order).
 * After them, the entries of *displaced* nodes: still in the plan, but their source file now
 * holds other bytes, or their upstream is displaced (a glob's names shifted when a file was
 * added: `shoe.jpg` beside `shoe.png` takes the name `shoe`, the old photo becomes `shoe-2`; two
 * files swapped). Such a node keeps its own entry's seed; its old request goes to the node that
 * now asks it. A node whose own entry no longer describes what it asks (its prompt or input
 * changed) may take an exact match too, before falling back to its own seed (a pass renamed
 * back to a name whose old entry asked something else), among the lock's own entries only.
 * After the lock's own entries, those of stray locks (a renamed recipe's old lock:
 * stray-locks.ts), asked for only when the lock's own give no match.
 * A request paid for but never locked (a run stopped while it ran, then the pass or file renamed)
 * is in the journal only: {@link journalDonors} give a new node its seed, so the node's key is the
 * request's and the run re-attaches to it instead of paying again.
 */
import { providerOf } from './node-provider.js';
import type { PlanNode } from '../plan/types.js';
import type { JournalEntry, LockEntry, LockFile, Store } from '../store/types.js';
import { requestHash } from '../store/index.js';
import { requestShaFor } from './node-request.js';

export interface OrphanPool {
  /**
   * The entry asking what `node` asks on `inputSha`, removed from the pool; else null. With `own`
   * (the node's lock entry), only when `own` asks something else (else the node keeps it).
   */
  claim(node: PlanNode, inputSha: string, own?: LockEntry): Promise<LockEntry | null>;
}

export function orphanPool(
  lock: LockFile,
  planIds: ReadonlySet<string>,
  providerName: string,
  store: Store,
  strays?: () => Promise<readonly LockEntry[]>,
  displaced: readonly string[] = [],
): OrphanPool {
  const free = [
    ...Object.keys(lock.nodes)
      .filter((id) => !planIds.has(id))
      .sort(),
    ...displaced,
  ].map((id) => lock.nodes[id] as LockEntry);
  let stray: LockEntry[] | null = strays === undefined ? [] : null;
  const take = async (pool: LockEntry[], node: PlanNode, inputSha: string): Promise<LockEntry | null> => {
    if (pool.length === 0) return null;
    const provider = providerOf(node, providerName);
    const wanted = requestShaFor(node, provider, inputSha);
    for (let i = 0; i < pool.length; i++) {
      const entry = pool[i] as LockEntry;
      if (entry.input_sha256 !== inputSha || entry.model !== node.model || entry.provider !== provider) continue;
      if ((await entryRequestSha(entry, store)) !== wanted) continue;
      pool.splice(i, 1);
      return entry;
    }
    return null;
  };
  return {
    async claim(node, inputSha, own) {
      // A node with its own entry looks only among the lock's own (strays are a renamed recipe's),
      // and only once it is known to ask something else: a no-op run costs nothing here.
      if (own !== undefined)
        return free.length === 0 || (await asks(own, node, inputSha)) ? null : take(free, node, inputSha);
      const found = await take(free, node, inputSha);
      if (found !== null) return found;
      stray ??= [...((await strays?.().catch(() => [])) ?? [])];
      return take(stray, node, inputSha);
    },
  };

  /** Whether `entry` asks what `node` asks on `inputSha` (an entry whose request is unknown: yes). */
  async function asks(entry: LockEntry, node: PlanNode, inputSha: string): Promise<boolean> {
    const provider = providerOf(node, providerName);
    if (entry.input_sha256 !== inputSha || entry.model !== node.model || entry.provider !== provider) return false;
    const sha = await entryRequestSha(entry, store);
    return sha === null || sha === requestShaFor(node, provider, inputSha);
  }
}

/**
 * Plan nodes whose lock entry no longer describes them (see the top of this file): a node whose
 * source file holds other bytes than its entry's input, and below it every node with an entry
 * (an input made by a displaced node differs from the one recorded). `plan` in topological order;
 * `rootShas`: each source node's input hash. Sorted by id.
 */
export function displacedNodes(
  nodes: readonly PlanNode[],
  lock: LockFile,
  rootShas: ReadonlyMap<string, string>,
): string[] {
  const out = new Set<string>();
  for (const node of nodes) {
    const entry = lock.nodes[node.id];
    if (entry === undefined) continue;
    const sha = node.input.kind === 'node' ? undefined : rootShas.get(node.id);
    if (node.input.kind === 'node' ? out.has(node.input.id) : sha !== undefined && sha !== entry.input_sha256)
      out.add(node.id);
  }
  return [...out].sort();
}

/** The entry's request hash: written in the lock, else (older locks) rebuilt from its cached record. */
async function entryRequestSha(entry: LockEntry, store: Store): Promise<string | null> {
  if (entry.request_sha256 !== undefined) return entry.request_sha256;
  const record = await store.getRecord(entry.key).catch(() => null);
  if (record?.prompt === undefined || record.params === undefined) return null;
  return requestHash({
    provider: record.provider,
    model: record.model,
    prompt: record.prompt,
    input_sha256: record.input_sha256,
    params: record.params,
  });
}

export interface JournalDonors {
  /** A paid request of this recipe whose node left the plan, asking what `node` asks on `inputSha`; taken once. */
  claim(node: PlanNode, inputSha: string): JournalEntry | null;
}

/**
 * Journal entries that may give their seed to a new node: accepted requests (a request id) of
 * this recipe's own runs (`lock`), whose node left the plan, that say what they asked
 * (`request_sha256`; older entries do not, and give nothing).
 */
export function journalDonors(
  entries: readonly JournalEntry[],
  planIds: ReadonlySet<string>,
  lock: string | undefined,
  providerName: string,
): JournalDonors {
  const free =
    lock === undefined
      ? []
      : entries.filter(
          (e) =>
            e.request_id !== undefined && e.request_sha256 !== undefined && e.lock === lock && !planIds.has(e.node),
        );
  return {
    claim(node, inputSha) {
      if (free.length === 0) return null;
      const provider = providerOf(node, providerName);
      const wanted = requestShaFor(node, provider, inputSha);
      const i = free.findIndex(
        (e) =>
          e.input_sha256 === inputSha &&
          e.model === node.model &&
          e.provider === provider &&
          e.request_sha256 === wanted,
      );
      return i === -1 ? null : (free.splice(i, 1)[0] ?? null);
    },
  };
}
