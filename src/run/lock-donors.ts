/**
 * The entries a conflicted lock's merge did not take (`lost`, lock-resolve.ts) are paid results:
 * a new node asking what one asked (a pass renamed while resolving the merge) takes its seed
 * (orphans.ts, `lostThenStrays`). They exist only in the conflicted text, so the merge a run
 * writes must not drop one a node still needs:
 * - a node the run does not select (`--only`, `--shard`) that may take one stops the run before
 *   it writes the merge (exit 65, the lock left conflicted): only a run of that node keeps it;
 * - a node the run selects that took one has it written under its own id with the merge, its
 *   output the node's own path: the entry its finished run writes replaces it, and a node that
 *   does not finish (its upstream failed, stopped, Ctrl-C) keeps the seed for the next run.
 */
import { basename, dirname, extname, relative, resolve, sep } from 'node:path';
import { ExitCode, KontextError } from '../errors.js';
import { outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import type { LockEntry, Store } from '../store/types.js';
import { sourceInputSha } from './displaced.js';
import type { ResolvedLock } from './lock-resolve.js';
import { providerOf } from './node-provider.js';
import { requestShaFor } from './node-request.js';
import { entryAsks } from './orphans.js';
import type { Prepared } from './prepare.js';

/** A run that leaves out a node which may take an entry only the conflicted lock holds (exit 65). */
class MergedDonorUnselectedError extends KontextError {
  override readonly name = 'MergedDonorUnselectedError';
  constructor(lockPath: string, nodes: readonly string[]) {
    const shown = nodes.length > 4 ? [...nodes.slice(0, 4), `and ${nodes.length - 4} more`] : nodes;
    const them = nodes.length === 1 ? 'it' : 'them';
    super(
      'E_MERGED_DONOR_UNSELECTED',
      `${basename(lockPath)} has git conflicts: an entry the merge does not keep is the ` +
        `paid result ${shown.join(', ')} would take its seed from, and this run leaves ${them} ` +
        'out: writing the merge would drop it, and a later run would pay again: nothing was paid',
      {
        exitCode: ExitCode.DATA_ERR,
        hint: 'run the whole recipe once (without --only or --shard): it writes the merge and keeps that seed',
      },
    );
  }
}

/**
 * The stop of a run whose selection leaves out a node that may take a lost entry's seed, or null.
 * "May": the node has no entry of its own and no seed in the recipe, and a lost entry asks what
 * it asks on an input it may get (a source's bytes; below another node, that node's entry's
 * output or a lost one it may take).
 */
export async function lostDonorStop(
  lockPath: string,
  resolved: ResolvedLock,
  prepared: Prepared,
  providerName: string,
  store: Store,
): Promise<MergedDonorUnselectedError | null> {
  const lost = resolved.conflict?.lost ?? [];
  if (lost.length === 0 || prepared.nodes.length === prepared.plan.nodes.length) return null;
  const takers: string[] = [];
  const outputs = new Map<string, Set<string>>(); // node id → the output hashes it may have
  for (const node of prepared.plan.nodes) {
    const own = resolved.lock.nodes[node.id];
    const mine = new Set(own === undefined ? [] : [own.output_sha256]);
    outputs.set(node.id, mine);
    // A node with an entry of its own never takes a lost one (orphans.ts: only the lock's own then).
    if (node.seed !== null || own !== undefined) continue;
    const inputs =
      node.input.kind === 'node'
        ? (outputs.get(node.input.id) ?? new Set<string>())
        : new Set([await sourceInputSha(node, store).catch(() => null)]);
    let takes = false;
    for (const entry of lost) {
      if (!inputs.has(entry.input_sha256) || !asks(entry, node)) continue;
      mine.add(entry.output_sha256);
      takes = true;
    }
    if (takes && !prepared.states.has(node.id)) takers.push(node.id);
  }
  return takers.length === 0 ? null : new MergedDonorUnselectedError(lockPath, takers);

  function asks(entry: LockEntry, node: PlanNode): boolean {
    const provider = providerOf(node, providerName);
    if (entry.model !== node.model || entry.provider !== provider) return false;
    return entryAsks(entry, node, provider, requestShaFor(node, provider, entry.input_sha256));
  }
}

/**
 * The merge to write: the resolved lock, plus each lost entry a selected node took (its state's
 * key is that entry's) under the node's id, its output where the node writes it.
 */
export function withTakenDonors(lockPath: string, resolved: ResolvedLock, prepared: Prepared): ResolvedLock {
  const lost = resolved.conflict?.lost ?? [];
  if (lost.length === 0) return resolved;
  const byKey = new Map(lost.map((e) => [e.key, e]));
  const nodes = { ...resolved.lock.nodes };
  let carried = false;
  for (const state of prepared.states.values()) {
    const entry = state.key === null ? undefined : byKey.get(state.key);
    if (entry === undefined || nodes[state.node.id]?.key === entry.key) continue;
    const ext = extname(entry.output).slice(1);
    const file = outputPathFor(prepared.plan, state.node, ext);
    const output = relative(dirname(lockPath), resolve(file)).split(sep).join('/');
    nodes[state.node.id] = { ...entry, output };
    carried = true;
  }
  return carried ? { ...resolved, lock: { ...resolved.lock, nodes } } : resolved;
}
