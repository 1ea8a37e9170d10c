/**
 * A seed follows content, not names: lock entries whose node left the plan (a renamed pass,
 * a renamed image file) are kept as "orphans", and a new node (no lock entry, no pinned seed)
 * asking exactly what an orphan asked (same provider, model, prompt, input bytes and params)
 * takes its entry, so its seed, key and output are reused and the rename costs nothing. What
 * an entry asked is its `request_sha256`, or in an older kontext's lock, which has none, its
 * `key` (the request with its seed): {@link entryAsks}, no cache needed.
 * Each entry is taken at most once (variants of a renamed pass each take one, in id order).
 * After the orphans, the entries of *displaced* nodes (displaced.ts): still in the plan, but
 * their source file now holds other bytes, or their upstream is displaced (a glob's names
 * shifted when a file was added: `shoe.jpg` beside `shoe.png` takes the name `shoe`, the old
 * photo becomes `shoe-2`; two files swapped). Such a node keeps its own entry's seed; its old
 * request goes to the node that now asks it. A node whose own entry no longer describes what it
 * asks (its prompt or input changed) may take an exact match too, among the lock's own entries,
 * unless its own seed's result for what it asks now is in the cache already (a pass renamed back
 * to a name whose old entry asked something else).
 * After the lock's own entries, those of stray locks (a renamed recipe's old lock:
 * stray-locks.ts), asked for only when the lock's own give no match.
 * A request paid for but never locked (a run stopped while it ran, then the pass or file renamed)
 * is in the journal only: {@link journalDonors} give a new node its seed, so the node's key is the
 * request's and the run re-attaches to it instead of paying again.
 */
import { providerOf } from './node-provider.js';
import type { PlanNode } from '../plan/types.js';
import type { JournalEntry, LockEntry, LockFile } from '../store/types.js';
import { keyFor, requestShaFor } from './node-request.js';
import type { Displacement } from './displaced.js';
import { realFolderOf } from './paid-unlocked.js';

/** A node's own lock entry, when it claims (see the top of this file). */
interface OwnEntry {
  readonly entry: LockEntry;
  /** Whether the result of the node's own seed for what it asks now is in the cache (then it keeps its seed). */
  readonly cached: () => Promise<boolean>;
}

export interface OrphanPool {
  /**
   * The entry asking what `node` asks on `inputSha`, removed from the pool; else null. With `own`,
   * only when `own` asks something else and its seed's result is not cached (else the node keeps it).
   */
  claim(node: PlanNode, inputSha: string, own?: OwnEntry): Promise<LockEntry | null>;
}

export interface PoolSources {
  readonly lock: LockFile;
  /** The whole plan's ids (not only a selection's). */
  readonly planIds: ReadonlySet<string>;
  readonly providerName: string;
  readonly strays?: (() => Promise<readonly LockEntry[]>) | undefined;
  /** Tells a displaced entry of a node still in the plan (displaced.ts); without it none is offered. */
  readonly displacement?: Displacement | undefined;
}

interface Candidate {
  readonly id: string;
  readonly entry: LockEntry;
  /** Its node is still in the plan: offered only once displaced. */
  readonly inPlan: boolean;
}

export function orphanPool(src: PoolSources): OrphanPool {
  const { lock, planIds, providerName, displacement } = src;
  const ids = Object.keys(lock.nodes).sort();
  const ordered = [
    ...ids.filter((id) => !planIds.has(id)),
    ...(displacement ? ids.filter((id) => planIds.has(id)) : []),
  ];
  // By input hash: a claim looks only at entries of its own input (thousands of entries, thousands of new nodes).
  const byInput = new Map<string, Candidate[]>();
  for (const id of ordered) {
    const entry = lock.nodes[id] as LockEntry;
    const list = byInput.get(entry.input_sha256) ?? byInput.set(entry.input_sha256, []).get(entry.input_sha256);
    list?.push({ id, entry, inPlan: planIds.has(id) });
  }
  let stray: LockEntry[] | null = src.strays === undefined ? [] : null;
  const matches = (entry: LockEntry, node: PlanNode, wanted: string, provider: string): boolean =>
    entry.model === node.model && entry.provider === provider && entryAsks(entry, node, provider, wanted);
  const takeFromLock = async (node: PlanNode, inputSha: string): Promise<LockEntry | null> => {
    const list = byInput.get(inputSha);
    if (list === undefined || list.length === 0) return null;
    const provider = providerOf(node, providerName);
    const wanted = requestShaFor(node, provider, inputSha);
    for (let i = 0; i < list.length; i++) {
      const c = list[i] as Candidate;
      if (c.id === node.id || !matches(c.entry, node, wanted, provider)) continue;
      if (c.inPlan && !(await displacement?.isDisplaced(c.id))) continue;
      list.splice(i, 1);
      return c.entry;
    }
    return null;
  };
  const takeStray = async (node: PlanNode, inputSha: string): Promise<LockEntry | null> => {
    stray ??= [...((await src.strays?.().catch(() => [])) ?? [])];
    const provider = providerOf(node, providerName);
    const wanted = requestShaFor(node, provider, inputSha);
    for (let i = 0; i < stray.length; i++) {
      const entry = stray[i] as LockEntry;
      if (entry.input_sha256 !== inputSha || !matches(entry, node, wanted, provider)) continue;
      stray.splice(i, 1);
      return entry;
    }
    return null;
  };
  return {
    async claim(node, inputSha, own) {
      if (own === undefined) return (await takeFromLock(node, inputSha)) ?? takeStray(node, inputSha);
      // A node with its own entry looks only among the lock's own (strays are a renamed recipe's), and
      // only when another entry has its input and it asks something else now: a no-op run does no more.
      const others = byInput.get(inputSha)?.some((c) => c.id !== node.id) === true;
      if (!others || asks(own.entry, node, inputSha) || (await own.cached())) return null;
      return takeFromLock(node, inputSha);
    },
  };

  /** Whether `entry` asks what `node` asks on `inputSha`. */
  function asks(entry: LockEntry, node: PlanNode, inputSha: string): boolean {
    const provider = providerOf(node, providerName);
    if (entry.input_sha256 !== inputSha || entry.model !== node.model || entry.provider !== provider) return false;
    return entryAsks(entry, node, provider, requestShaFor(node, provider, inputSha));
  }
}

/**
 * Whether lock entry `entry` asks what `node` asks through `provider` on the entry's own input
 * (the caller compares input, model and provider), `wanted` being the node's request hash
 * (node-request.ts's `requestShaFor`). The entry's `request_sha256` says so; an older kontext's
 * entry has none, but its `key` is the hash of its request with its seed (store/cache-key.ts):
 * the node's request keyed with the entry's seed is that key exactly when both ask the same. So
 * no cached record is needed (a fresh clone, CI, a cache after gc), and a node asking anything
 * else (another prompt, params, input) never takes the entry's seed.
 */
export function entryAsks(entry: LockEntry, node: PlanNode, provider: string, wanted: string): boolean {
  if (entry.request_sha256 !== undefined) return entry.request_sha256 === wanted;
  return keyFor(node, provider, entry.input_sha256, entry.seed) === entry.key;
}

export interface JournalDonors {
  /** A paid request of this recipe no longer asked by its node, asking what `node` asks on `inputSha`; taken once. */
  claim(node: PlanNode, inputSha: string): Promise<JournalEntry | null>;
}

/**
 * Journal entries that may give their seed to a new node: accepted requests (a request id) of
 * this recipe's own runs (`lock`) that say what they asked (`request_sha256`; older entries do
 * not, and give nothing), whose node left the plan or now asks on another input
 * (`displacement.isShifted`). In node id order, as orphans are: variants keep their numbers.
 */
export function journalDonors(
  entries: readonly JournalEntry[],
  lock: string | undefined,
  providerName: string,
  displacement: Pick<Displacement, 'isShifted'>,
): JournalDonors {
  const reals = new Map<string, string>(); // each lock path named, its folder's links resolved once
  const free =
    lock === undefined
      ? []
      : entries
          .filter((e) => e.request_id !== undefined && e.request_sha256 !== undefined && isLock(e.lock, lock, reals))
          .sort((a, b) => byNode(a, b));
  return {
    async claim(node, inputSha) {
      if (free.length === 0) return null;
      const provider = providerOf(node, providerName);
      const wanted = requestShaFor(node, provider, inputSha);
      for (let i = 0; i < free.length; i++) {
        const e = free[i] as JournalEntry;
        if (e.input_sha256 !== inputSha || e.model !== node.model || e.provider !== provider) continue;
        if (e.request_sha256 !== wanted || e.node === node.id || !(await displacement.isShifted(e))) continue;
        free.splice(i, 1);
        return e;
      }
      return null;
    },
  };
}

/**
 * Whether an entry's lock path `named` is the lock file `lock`: the same text, or the same file
 * through its folder's links (a run that reached the recipe through a symlinked folder).
 */
function isLock(named: string | undefined, lock: string, reals: Map<string, string>): boolean {
  if (named === undefined) return false;
  const real = (path: string): string => reals.get(path) ?? reals.set(path, realFolderOf(path)).get(path) ?? path;
  return named === lock || real(named) === real(lock);
}

function byNode(a: JournalEntry, b: JournalEntry): number {
  if (a.node === b.node) return 0;
  return a.node < b.node ? -1 : 1;
}
