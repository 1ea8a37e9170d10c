/**
 * A seed follows content, not names: lock entries whose node left the plan (a renamed pass,
 * a renamed image file) are kept as "orphans", and a new node (no lock entry, no pinned seed)
 * asking exactly what an orphan asked (same provider, model, prompt, input bytes and params)
 * takes its entry, so its seed, key and output are reused and the rename costs nothing.
 * Each orphan is taken at most once (variants of a renamed pass each take one, in id order).
 * After the lock's own orphans, the entries of stray locks (a renamed recipe's old lock:
 * stray-locks.ts), asked for only when the lock's own give no match.
 */
import { providerOf } from './node-provider.js';
import type { PlanNode } from '../plan/types.js';
import type { LockEntry, LockFile, Store } from '../store/types.js';
import { requestHash } from '../store/index.js';
import { requestShaFor } from './node-request.js';

export interface OrphanPool {
  /** The orphan entry asking what `node` asks on `inputSha`, removed from the pool; else null. */
  claim(node: PlanNode, inputSha: string): Promise<LockEntry | null>;
}

export function orphanPool(
  lock: LockFile,
  planIds: ReadonlySet<string>,
  providerName: string,
  store: Store,
  strays?: () => Promise<readonly LockEntry[]>,
): OrphanPool {
  const free = Object.keys(lock.nodes)
    .filter((id) => !planIds.has(id))
    .sort()
    .map((id) => lock.nodes[id] as LockEntry);
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
    async claim(node, inputSha) {
      const own = await take(free, node, inputSha);
      if (own !== null) return own;
      stray ??= [...((await strays?.().catch(() => [])) ?? [])];
      return take(stray, node, inputSha);
    },
  };
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
