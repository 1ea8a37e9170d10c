/**
 * Lock-current nodes (docs/architecture.md#cache-lock-and-journal): a node whose key equals its
 * own lock entry's and whose output file (and `save:` copy) still holds the entry's sha256 is up
 * to date from the lock alone. Proving it costs a stat per file (the source-hash memo keys on
 * path, size, mtime and inode) — no run record is read or parsed, no blob looked at. What the
 * record would have given is deferred to when it is needed:
 * - a downstream node that must run needs the output's provider URL and its blob for hosting:
 *   it reads the record then (or adopts the file, adopt.ts);
 * - "last used" for gc and a cache that still holds the result: `LockCurrentNodes.markUsed`
 *   runs at the run's end (before its summary is sent), in one batch, and at most once a minute
 *   for the same set of keys (`store/touch.ts`): each record's mtime is bumped, and a record
 *   that is gone (a deleted cache) is rebuilt from the lock and the file, so the cache can still
 *   restore the output should the file be deleted later; a record whose blob alone is gone is
 *   kept (its `cost_usd` and review), only the blob copied in from the file.
 */
import { saveCopyPath } from '../util/save-template.js';
import { dirname, extname, resolve } from 'node:path';
import { outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import { touchRecords } from '../store/touch.js';
import type { LockEntry, RunRecord, Store } from '../store/types.js';
import { ExitCode, KontextError } from '../errors.js';
import { type Adoption, adoptAll, adoptFromLock, mediaTypeForExt, provenAdoption } from './adopt.js';
import { type UpstreamOutput, upstreamFromRecord } from './inputs.js';
import type { RunDeps } from './options.js';

/** A lock-current node as resolve found it: the record rebuilt from the entry, and the output's size. */
export interface LockCurrent {
  readonly record: RunRecord;
  readonly entry: LockEntry;
  readonly bytes: number;
}

export interface LockCurrentPaths {
  readonly lockDir: string;
  readonly outDir: string;
}

/**
 * The node's result from its own lock entry when `key` is the entry's and its files (at the
 * paths this run writes: a moved or legacy output takes the slow path) still hold the entry's
 * bytes; null otherwise.
 */
export async function lockCurrent(
  node: PlanNode,
  key: string,
  entry: LockEntry,
  paths: LockCurrentPaths,
  store: Store,
): Promise<LockCurrent | null> {
  if (entry.key !== key) return null;
  const file = resolve(paths.lockDir, entry.output);
  const ext = extname(file).slice(1);
  if (!/^[a-z0-9]{1,10}$/.test(ext) || file !== outputPathFor(paths.outDir, node, ext)) return null;
  const saved = saveCopyPath(node.save, ext);
  const targets = saved === null ? [file] : [file, saved];
  let bytes = 0;
  for (const target of targets) {
    const hashed = await store.hashSource(target).catch(() => null);
    if (hashed?.sha256 !== entry.output_sha256) return null;
    bytes = hashed.bytes;
  }
  const record: RunRecord = {
    key,
    node: node.id,
    provider: entry.provider,
    model: entry.model,
    seed: entry.seed,
    input_sha256: entry.input_sha256,
    output_sha256: entry.output_sha256,
    media_type: mediaTypeForExt(ext),
    ext,
    request_id: entry.request_id,
    finished_at: entry.finished_at,
  };
  return { record, entry, bytes };
}

/**
 * What a downstream node that must run needs of a lock-current upstream: its run record (for the
 * provider URL) and blob (for hosting), read now; adopted from the lock and the file when the
 * cache lacks them.
 */
async function upstreamForRun(
  node: PlanNode,
  current: LockCurrent,
  deps: { readonly store: Store; readonly providerName: string; readonly lockDir: string },
): Promise<UpstreamOutput> {
  const { entry } = current;
  const found = await cachedOrAdopted(node, current, deps.store, deps.lockDir);
  if (found === null)
    throw new KontextError(
      'E_UPSTREAM_CHANGED',
      `the output of ${node.id} (${entry.output}) changed during the run and is not in the cache`,
      { exitCode: ExitCode.TEMP_FAIL, hint: 'run again: the node is then run or restored first' },
    );
  return upstreamFromRecord(found, {
    blobPath: deps.store.blobPath(found.output_sha256),
    providerName: found.provider,
  });
}

/**
 * The node's run record from the cache (an unreadable one counts as missing), else rebuilt there
 * from its lock entry and the file it proves.
 */
async function cachedOrAdopted(
  node: PlanNode,
  current: LockCurrent,
  store: Store,
  lockDir: string,
): Promise<RunRecord | null> {
  const key = current.record.key;
  const cached = await store.getRecord(key).catch(() => null);
  return cached ?? (await adoptFromLock(node, key, current.entry, lockDir, store));
}

/**
 * The nodes one run served from the lock: a downstream node that must run reads an upstream's
 * record once ({@link upstreamForRun}); after the run their records are marked used.
 */
export class LockCurrentNodes {
  readonly #served = new Map<string, { readonly node: PlanNode; readonly current: LockCurrent }>();
  readonly #forRun = new Map<string, Promise<UpstreamOutput>>();

  constructor(private readonly deps: Pick<RunDeps, 'store' | 'providerName' | 'lockPath' | 'rt'>) {}

  /** The upstream output a cached downstream node needs: hashes and size only (no record read). */
  static upstream(current: LockCurrent): UpstreamOutput {
    const { record, bytes } = current;
    return {
      sha256: record.output_sha256,
      bytes,
      mediaType: record.media_type,
      ext: record.ext,
      url: null,
      urlAt: null,
    };
  }

  served(node: PlanNode, current: LockCurrent): void {
    this.#served.set(node.id, { node, current });
  }

  /** `upstream` (node `id`'s output) as a node that runs needs it: read from its record when served from the lock. */
  forRun(id: string, upstream: UpstreamOutput): Promise<UpstreamOutput> {
    const served = this.#served.get(id);
    const { lockPath } = this.deps;
    if (!served || lockPath === null) return Promise.resolve(upstream);
    let read = this.#forRun.get(id);
    if (!read) {
      const deps = { store: this.deps.store, providerName: this.deps.providerName, lockDir: dirname(lockPath) };
      read = upstreamForRun(served.node, served.current, deps);
      this.#forRun.set(id, read);
    }
    return read;
  }

  /**
   * Node `node`'s record with its change review, for a drift check: as the cache holds it, else
   * rebuilt from the lock (deleted, or dropped with a damaged blob); null when neither can be had.
   */
  async stored(node: PlanNode, current: LockCurrent): Promise<RunRecord | null> {
    const { lockPath, store } = this.deps;
    if (lockPath === null) return store.getRecord(current.record.key).catch(() => null);
    return cachedOrAdopted(node, current, store, dirname(lockPath)).catch(() => null);
  }

  /**
   * After the run: mark the served nodes' records as used (gc's "last used"), rebuilding those
   * the cache lost from the lock and the files (a record still there kept: only its blob copied
   * in). Best effort: a failure costs nothing but a
   * rebuild next time.
   */
  async markUsed(): Promise<void> {
    const { lockPath, store } = this.deps;
    if (this.#served.size === 0 || lockPath === null) return;
    const served = [...this.#served.values()];
    const used = served.map(({ current }) => ({ key: current.record.key, blob: current.record.output_sha256 }));
    const missing = new Map(touchRecords(store.root, used, this.deps.rt.now()).map((m) => [m.key, m.recordLost]));
    if (missing.size === 0) return;
    // Each file proven first (memoized hashes: a stat each), then all written at once: blobs on
    // the store's thread while the records are written here (adopt.ts `adoptAll`).
    const lockDir = dirname(lockPath);
    const adoptions: Adoption[] = [];
    for (const { node, current } of served) {
      const recordLost = missing.get(current.record.key);
      if (recordLost === undefined) continue;
      const adoption = await provenAdoption(node, current.record.key, current.entry, lockDir, store).catch(() => null);
      // Only the blob lost: the record (its cost_usd, its review) is kept, the blob copied in.
      if (adoption !== null) adoptions.push(recordLost ? adoption : { ...adoption, blobOnly: true });
    }
    await adoptAll(store, adoptions).catch(() => undefined);
  }
}

/**
 * The node's run record as the cache holds it (with its change review) when resolve served it
 * from the lock alone; else the record resolve found. Readers that need the review call this.
 */
export async function storedRecord(
  state: { readonly key: string | null; readonly record: RunRecord | null; readonly current?: LockCurrent | undefined },
  store: Store,
): Promise<RunRecord | null> {
  if (!state.current || state.key === null) return state.record;
  return (await store.getRecord(state.key).catch(() => null)) ?? state.record;
}
