/**
 * Which side of a conflicted lock asks what the recipe asks now (lock-resolve.ts's first rule
 * between two different entries of a node). A merge whose recipe took one branch's prompt for a
 * pass (`git checkout --theirs recipe.yml`) wants that branch's entry, whatever the output file
 * holds (git keeps ours in the work tree for a binary conflict): taking the other one paid for
 * the pass again, and for every pass below it. An entry asks what the plan's node asks when its
 * key is the node's key with the entry's seed (the node's own, when the recipe pins one) on an
 * input the plan gives it: a source's bytes now; below another node, the output of an entry of
 * that node that asks what the plan asks. Decides only when exactly one of the two entries asks.
 */
import type { PlanNode } from '../plan/types.js';
import { canonicalJson } from '../store/canonical-json.js';
import type { LockSides } from '../store/lock-conflict.js';
import type { LockEntry, Store } from '../store/types.js';
import { sourceInputSha } from './displaced.js';
import { keyFor } from './node-request.js';
import { providerOf } from './node-provider.js';

/** Node id → the one entry of its two that asks what the plan asks (nodes where only one does). */
export async function askedEntries(
  nodes: readonly PlanNode[],
  sides: Pick<LockSides, 'ours' | 'theirs'>,
  providerName: string,
  store: Pick<Store, 'hashSource'>,
): Promise<ReadonlyMap<string, LockEntry>> {
  const asked = new Map<string, LockEntry>();
  // Node id → the output hashes of its entries that ask what the plan asks: the inputs below it.
  const outputs = new Map<string, ReadonlySet<string>>();
  for (const node of nodes) {
    const [o, t] = [sides.ours.nodes[node.id], sides.theirs.nodes[node.id]];
    const entries = [o, t].filter((e): e is LockEntry => e !== undefined);
    if (entries.length === 0) continue;
    const inputs =
      node.input.kind === 'node'
        ? (outputs.get(node.input.id) ?? new Set<string>())
        : new Set([await sourceInputSha(node, store).catch(() => null)]);
    const provider = providerOf(node, providerName);
    const asks = (e: LockEntry): boolean =>
      inputs.has(e.input_sha256) && keyFor(node, provider, e.input_sha256, node.seed ?? e.seed) === e.key;
    const asking = entries.filter(asks);
    outputs.set(node.id, new Set(asking.map((e) => e.output_sha256)));
    const differ = o !== undefined && t !== undefined && canonicalJson(o) !== canonicalJson(t);
    if (differ && asking.length === 1) asked.set(node.id, asking[0] as LockEntry);
  }
  return asked;
}
