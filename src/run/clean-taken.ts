/**
 * Lock entries of nodes that left the plan which a current node takes over: a renamed pass, a
 * renamed photo, a renamed pass's variants (orphans.ts), or a node whose source shifted onto a
 * dropped entry's request (displaced.ts). Resolve gives such a node the entry's seed, so its key
 * is the entry's, and the run adopts the entry's output file when the cache lacks the result
 * (adopt.ts: a machine with an empty cache). `kontext clean` keeps such an entry and its file,
 * and `kontext status` does not call it an orphan, until the run has given the node an entry of
 * its own with that key; then the old entry is an orphan like any other.
 */
import { dirname } from 'node:path';
import { isProviderName } from '../models/registry.js';
import type { ProviderName } from '../models/types.js';
import type { Plan } from '../plan/types.js';
import type { Runtime } from '../runtime.js';
import type { LockFile, Store } from '../store/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import { overrideProvider } from './node-provider.js';
import { prepareRun } from './prepare.js';
import type { NodeState } from './resolve.js';
import { strayLockEntries } from './stray-locks.js';

/**
 * Dropped entry id → the id of the current node that takes it, by id: a node whose resolved key
 * is the entry's and whose own lock entry (if any) has another key. `states`: every node of the
 * plan, resolved with the recipe's own providers.
 */
export function takenFrom(states: ReadonlyMap<string, NodeState>, lock: LockFile): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const s of states.values()) {
    if (s.key === null || lock.nodes[s.node.id]?.key === s.key || byKey.has(s.key)) continue;
    byKey.set(s.key, s.node.id);
  }
  const taken = new Map<string, string>();
  for (const id of Object.keys(lock.nodes).sort()) {
    const by = states.has(id) ? undefined : byKey.get(lock.nodes[id]?.key ?? '');
    if (by !== undefined) taken.set(id, by);
  }
  return taken;
}

/** Whether the lock holds an entry of a node `plan` does not have. */
export function dropsAny(plan: Plan, lock: LockFile): boolean {
  const ids = new Set(plan.nodes.map((n) => n.id));
  return Object.keys(lock.nodes).some((id) => !ids.has(id));
}

/**
 * {@link takenFrom} over `plan` (every branch of every variant), its states resolved as a run's
 * are (prepare.ts: seeds, orphan claims, keys; outputs the lock vouches for adopted into the
 * cache). Nothing is resolved when every lock entry's node is in the plan.
 */
export async function takenEntries(
  plan: Plan,
  p: {
    readonly lock: LockFile;
    readonly lockPath: string;
    readonly store: Store;
    readonly guard: WriteGuard;
    readonly rt: Pick<Runtime, 'randomSeed' | 'pid' | 'isAlive'>;
    /** {@link takenFrom} of the plan as the recipe's providers resolve it, when known already (status). */
    readonly base?: Map<string, string> | undefined;
  },
): Promise<Map<string, string>> {
  if (!dropsAny(plan, p.lock)) return new Map();
  const resolvedOn = async (on: Plan, providerName: string): Promise<Map<string, string>> => {
    const prepared = await prepareRun(
      on,
      {
        store: p.store,
        providerName,
        lock: p.lock,
        draw: () => p.rt.randomSeed(),
        lockDir: dirname(p.lockPath),
        lockPath: p.lockPath,
        strays: strayLockEntries(p.lockPath, p.guard),
        self: p.rt,
      },
      {},
    );
    return takenFrom(prepared.states, p.lock);
  };
  const taken = p.base ?? (await resolvedOn(plan, plan.recipe.provider));
  // A dropped entry paid on another provider (a run with --provider) is taken by a node only as
  // a run with that --provider resolves it: each such provider resolved too.
  for (const name of providersToResolve(plan, p.lock))
    for (const [id, by] of await resolvedOn(overrideProvider(plan, name), name)) if (!taken.has(id)) taken.set(id, by);
  return taken;
}

/**
 * The providers dropped entries of `lock` were paid on under which `plan` would run some node
 * elsewhere than it does (`--provider` moving it: a pass's own `provider:` counts), by name.
 */
function providersToResolve(plan: Plan, lock: LockFile): ProviderName[] {
  const ids = new Set(plan.nodes.map((n) => n.id));
  const moves = (name: string): boolean => plan.nodes.some((n) => (n.provider ?? plan.recipe.provider) !== name);
  const names = new Set<ProviderName>();
  for (const [id, entry] of Object.entries(lock.nodes))
    if (!ids.has(id) && isProviderName(entry.provider) && moves(entry.provider)) names.add(entry.provider);
  return [...names].sort();
}
