/**
 * Which plan nodes a lock entry (or a journaled request) no longer describes, found only when a
 * claim needs to know (orphans.ts): a node whose source file now holds other bytes than the
 * entry's input (a glob's names shifted when a file was added; two files swapped), and below it
 * every node with an entry (an input made by a displaced node differs from the one recorded).
 * Over the whole plan, not only `--only`'s or a shard's selection; a source outside the
 * selection is hashed only when an entry of its chain is asked about (memoized, as every
 * source hash is).
 */
import { createHash } from 'node:crypto';
import type { PlanNode } from '../plan/types.js';
import type { JournalEntry, LockFile, Store } from '../store/types.js';

export interface Displacement {
  /** Whether `id`'s lock entry no longer describes it (a node without one: no). */
  isDisplaced(id: string): Promise<boolean>;
  /** Whether a journaled request no longer asks what its node asks: the node left the plan, or its input changed. */
  isShifted(entry: JournalEntry): Promise<boolean>;
}

/** Content hash standing in for a remote source: the URL itself (we never fetch it locally). */
function urlInputSha(url: string): string {
  return createHash('sha256').update(`url:${url}`).digest('hex');
}

/**
 * The input hash of a node reading a source: its file's (memoized by the store), or its URL's
 * stand-in; `null` for a node reading another node. A file that cannot be hashed throws.
 */
export async function sourceInputSha(node: PlanNode, store: Pick<Store, 'hashSource'>): Promise<string | null> {
  if (node.input.kind !== 'source') return null;
  if (node.input.url !== undefined) return urlInputSha(node.input.url);
  if (node.input.path === undefined) return null;
  return (await store.hashSource(node.input.path)).sha256;
}

/** `nodes`: the whole plan; `rootShas`: the source hashes already known (the selection's). */
export function displacement(
  nodes: readonly PlanNode[],
  lock: LockFile,
  rootShas: ReadonlyMap<string, string>,
  store: Pick<Store, 'hashSource'>,
): Displacement {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const memo = new Map<string, Promise<boolean>>();
  const sourceSha = async (node: PlanNode): Promise<string | null> => {
    const known = rootShas.get(node.id);
    if (known !== undefined) return known;
    return sourceInputSha(node, store).catch(() => null); // unreadable now: not known, taken as the same
  };
  /** Whether `node`'s input now differs from `recorded` (null: not known, taken as the same). */
  const inputDiffers = async (node: PlanNode, recorded: string): Promise<boolean> => {
    if (node.input.kind === 'node') return isDisplaced(node.input.id);
    const sha = await sourceSha(node);
    return sha !== null && sha !== recorded;
  };
  function isDisplaced(id: string): Promise<boolean> {
    let known = memo.get(id);
    if (known === undefined) {
      const node = byId.get(id);
      const entry = lock.nodes[id];
      known =
        node === undefined || entry === undefined ? Promise.resolve(false) : inputDiffers(node, entry.input_sha256);
      memo.set(id, known);
    }
    return known;
  }
  return {
    isDisplaced,
    async isShifted(entry) {
      const node = byId.get(entry.node);
      return node === undefined || inputDiffers(node, entry.input_sha256);
    },
  };
}
