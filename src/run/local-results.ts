/**
 * The results a run of a recipe would take as up to date, as the local machine holds them: each
 * node the local cache holds, or whose lock entry and output file prove it (adopted into the
 * local cache first, adopt.ts). What `kontext push` sends, and what a `--shard` run makes sure
 * the remote cache has (run-recipe.ts): a result the remote lacks would be paid for again by
 * another machine.
 */
import { statSync } from 'node:fs';
import type { PlanNode } from '../plan/types.js';
import type { LockFile, RunRecord, Store } from '../store/types.js';
import { adoptFromLock } from './adopt.js';
import { normalizedPrompt, resolvedParams } from './node-request.js';
import type { NodeState } from './resolve.js';

export interface LocalResults {
  /** One result per cache key (nodes sharing a request share it), with the ids of its nodes. */
  readonly byKey: Map<string, { readonly record: RunRecord; readonly nodes: string[] }>;
  readonly unfit: { node: string; why: string }[];
  readonly notLocal: string[];
}

/** The result of every node a run here would not pay for, read from the cache or adopted from the lock. */
export async function localResults(
  nodes: readonly PlanNode[],
  states: ReadonlyMap<string, NodeState>,
  lock: LockFile,
  lockDir: string,
  store: Store,
  options: { readonly dryRun?: boolean | undefined } = {},
): Promise<LocalResults> {
  const out: LocalResults = { byKey: new Map(), unfit: [], notLocal: [] };
  for (const node of nodes) {
    const state = states.get(node.id);
    const key = state?.key ?? null;
    if (!state || key === null || state.status !== 'cached' || state.record === null) {
      out.notLocal.push(node.id);
      continue;
    }
    const known = out.byKey.get(key);
    if (known) {
      known.nodes.push(node.id);
      continue;
    }
    if (options.dryRun === true) {
      out.byKey.set(key, { record: state.record, nodes: [node.id] }); // only its key is asked about
      continue;
    }
    const entry = lock.nodes[node.id];
    const record = await resultOf(node, key, state.record, {
      store,
      adopt: entry ? () => adoptFromLock(node, key, entry, lockDir, store) : null,
    });
    if (record === null) out.unfit.push({ node: node.id, why: 'its output is neither in the local cache nor in out/' });
    else out.byKey.set(key, { record, nodes: [node.id] });
  }
  return out;
}

/**
 * The full record of a node the run takes as cached: the cache's, when its blob is there, else
 * adopted from the lock and the file (a lock-current node's record names no prompt). A record
 * from before records kept the prompt and params gets them from the node: its key covers both.
 */
async function resultOf(
  node: PlanNode,
  key: string,
  resolved: RunRecord,
  p: { readonly store: Store; readonly adopt: (() => Promise<RunRecord | null>) | null },
): Promise<RunRecord | null> {
  const hasBlob = (r: RunRecord): boolean =>
    statSync(p.store.blobPath(r.output_sha256), { throwIfNoEntry: false })?.isFile() === true;
  let record = await p.store.getRecord(key).catch(() => null);
  if (record === null || record.output_sha256 !== resolved.output_sha256 || !hasBlob(record)) {
    if (p.adopt) record = await p.adopt().catch(() => null);
    else record = hasBlob(resolved) ? resolved : null;
  }
  if (record === null) return null;
  return { ...record, prompt: record.prompt ?? normalizedPrompt(node), params: record.params ?? resolvedParams(node) };
}
