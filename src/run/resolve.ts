/**
 * Node states before anything runs: which nodes are cached, which will run and why.
 * Used by `--dry-run`, `--explain`, `--max-cost` and the run itself (cache hits found here
 * are not looked up again). Downstream of a node that will run, the input is not known yet:
 * such nodes are "will run (input changes)" until their upstream has finished.
 */
import { providerOf } from './node-provider.js';
import pLimit from 'p-limit';
import type { Plan, PlanNode } from '../plan/types.js';
import { canonicalJson } from '../store/index.js';
import type { JournalEntry, LockEntry, LockFile, RunRecord, Store } from '../store/types.js';
import type { Runtime } from '../runtime.js';
import type { RunReason } from './events.js';
import { keyFor, normalizedPrompt, resolvedParams } from './node-request.js';
import { selects, type RunOptions } from './options.js';
import { chooseSeed, journaledByNode, journaledSeed, type SeedSource } from './seeds.js';
import { paidUnlockedSeed, realFolderOf } from './paid-unlocked.js';
import { adoptFromLock } from './adopt.js';
import { journalDonors, type JournalDonors, orphanPool, type OrphanPool } from './orphans.js';
import { displacement, sourceInputSha } from './displaced.js';
import { lockCurrent, type LockCurrent, type LockCurrentPaths } from './lock-current.js';
import { derivedSeed } from './derived-seed.js';
import { settledEntries } from './journal-settled.js';
import { type HandEditedOutputError, knownOutputs, refusalAhead, storeCheck } from './hand-edits.js';
import { claimVerdict, type ClaimVerdict, UncertainSubmitError } from './submit-claim.js';
import { providerTraits } from '../providers/session.js';

export interface NodeState {
  readonly node: PlanNode;
  readonly seed: number;
  readonly seedSource: SeedSource;
  /** sha256 of the input image, `null` while an upstream node still has to run. */
  readonly inputSha: string | null;
  readonly key: string | null;
  /** The cache hit, when there is one and the node is not forced. */
  readonly record: RunRecord | null;
  readonly status: 'cached' | 'run';
  readonly reason: RunReason | null;
  readonly forced: boolean;
  /**
   * The seed is that of a paid request the journal holds and the lock lacks (an interrupted
   * `--reseed`), taken over the lock's: its re-attach may only cost nothing (execute.ts).
   */
  readonly overLock?: true | undefined;
  /** Set when the lock alone proves the node current (lock-current.ts): `record` is rebuilt from its entry. */
  readonly current?: LockCurrent | undefined;
  /**
   * Set when a file the node writes holds bytes neither the lock nor this result put there (edited
   * by hand, a git LFS pointer, a line-ending conversion): the run refuses the node, before paying,
   * unless `--overwrite` (hand-edits.ts); a git LFS pointer to the lock's output of this very
   * request whatever the options (`refused.lfs.current`: the image is in git LFS, in no cache).
   */
  readonly refused?: HandEditedOutputError | undefined;
  /**
   * Set when the journal holds an entry for this node's key (`reason: 'reattach'`): what the run's
   * claim will do with it (submit-claim.ts's claimVerdict). `attach` (a request id) and `wait`
   * (another live run owns it) pay nothing; `uncertain` (a dead run's intent without a request
   * id) stops the node, exit 75 (`uncertain`, the error the run stops it with); `take-over` pays.
   */
  readonly claim?: ClaimVerdict | undefined;
  /** `take-over` of an intent the API refused (its `refused_at`): nothing of it was accepted, nothing paid. */
  readonly claimRefused?: true | undefined;
  readonly uncertain?: UncertainSubmitError | undefined;
}

export interface ResolveDeps {
  readonly store: Store;
  readonly providerName: string;
  readonly lock: LockFile;
  readonly draw: () => number;
  /**
   * The journal's entries, listed by the caller (prepare.ts keeps them for the scheduler, so a
   * run lists the journal folder once); listed here when absent.
   */
  readonly journal?: Promise<readonly JournalEntry[]> | undefined;
  /** Node id → its journaled (submitted, unrecorded) requests, oldest first; filled by {@link resolveStates}. */
  readonly journalByNode?: ReadonlyMap<string, readonly JournalEntry[]> | undefined;
  /** Journal entries by cache key, filled by {@link resolveStates}: a node with one of these keys re-attaches. */
  readonly journalEntries?: ReadonlyMap<string, JournalEntry> | undefined;
  /**
   * This process (its pid and a liveness check), to tell a journal entry of another live run from
   * a dead run's, as the run's claim will; without it every entry's writer counts as gone.
   */
  readonly self?: Pick<Runtime, 'pid' | 'isAlive'> | undefined;
  /** `--resubmit-uncertain`: a dead run's intent is submitted again (billed) instead of stopping its node. */
  readonly resubmitUncertain?: boolean | undefined;
  /** Watch mode: node id → the seed an earlier cycle of this session used (wins over the lock). */
  readonly sessionSeeds?: ReadonlyMap<string, number> | undefined;
  /** The lock file's folder: lock entries whose output files still match are adopted into the cache. */
  readonly lockDir?: string | undefined;
  /** The lock file: a journaled request of this recipe's own run (its `lock`) may win over its seed. */
  readonly lockPath?: string | undefined;
  /** The whole plan's nodes (not just `--only`'s or a shard's selection): where displaced entries are looked for. */
  readonly planNodes?: readonly PlanNode[] | undefined;
  /** Ids of the whole plan (not just `--only`'s selection): lock entries of other ids are orphans. */
  readonly planIds?: ReadonlySet<string> | undefined;
  /** Entries of nodes that left the plan, for new nodes to take over; filled by {@link resolveStates}. */
  readonly orphans?: OrphanPool | undefined;
  /** Paid journaled requests whose node left the plan, for new nodes to take over; filled by {@link resolveStates}. */
  readonly donors?: JournalDonors | undefined;
  /** Entries of stray locks beside the lock (a renamed recipe's: stray-locks.ts), more orphans to take seeds from. */
  readonly strays?: (() => Promise<readonly LockEntry[]>) | undefined;
  /** Recipe runs: a new node's seed is derived from the node (derived-seed.ts), the same on every machine. */
  readonly deriveSeeds?: boolean | undefined;
}

/** Look-ups (record reads, adoptions) in flight at once: enough to keep the disk and thread pool busy. */
const LOOKUP_CONCURRENCY = 16;

export async function resolveStates(
  plan: Plan,
  deps: ResolveDeps,
  options: Pick<RunOptions, 'force' | 'reseed'>,
): Promise<Map<string, NodeState>> {
  const [rootShas, listed] = await Promise.all([
    hashRoots(plan, deps.store),
    deps.journal ?? deps.store.journal.list(),
  ]);
  const finished = settledEntries(listed, deps.lock);
  const journal = finished.length === 0 ? listed : listed.filter((e) => !finished.includes(e));
  const planIds = deps.planIds ?? new Set(plan.nodes.map((n) => n.id));
  const displaced = displacement(deps.planNodes ?? plan.nodes, deps.lock, rootShas, deps.store);
  const orphans =
    deps.orphans ??
    orphanPool({
      lock: deps.lock,
      planIds,
      providerName: deps.providerName,
      strays: deps.strays,
      displacement: displaced,
    });
  const withJournal: ResolveDeps = {
    ...deps,
    journalByNode: journaledByNode(journal),
    journalEntries: new Map(journal.map((e) => [e.key, e])),
    orphans,
    donors: deps.donors ?? journalDonors(journal, deps.lockPath, deps.providerName, displaced),
  };
  // Seeds are chosen one node at a time in plan order (draws and orphan claims stay
  // deterministic); the look-ups after that (record, adoption, why it runs) overlap, bounded.
  const limit = pLimit(LOOKUP_CONCURRENCY);
  const paths = deps.lockDir === undefined ? null : { lockDir: deps.lockDir, outDir: plan.recipe.outDir };
  const pending = new Map<string, Promise<NodeState>>();
  let previous: Promise<unknown> = Promise.resolve();
  for (const node of plan.nodes) {
    const upstream = node.input.kind === 'node' ? pending.get(node.input.id) : undefined;
    const seeded = Promise.all([upstream, previous]).then(async ([up]) => {
      const inputSha = node.input.kind === 'node' ? cachedOutputSha(up) : (rootShas.get(node.id) ?? null);
      return seedOf(node, inputSha, withJournal, options);
    });
    previous = seeded;
    pending.set(
      node.id,
      seeded.then((seed) => limit(() => lookUp(node, seed, withJournal, options, paths))),
    );
  }
  // Every look-up settles before the first failure (in plan order) is thrown: none is left running.
  const settled = await Promise.allSettled(pending.values());
  const states = new Map<string, NodeState>();
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    states.set(result.value.node.id, result.value);
  }
  return states;
}

/**
 * The output hash of a cached upstream node; `null` while it has yet to run. An upstream whose
 * current result is in git LFS only (a pointer in the work tree, in no cache: it never runs)
 * has the pointer's: the nodes below it are judged as they will be once `git lfs pull` ran.
 */
function cachedOutputSha(upstream: NodeState | undefined): string | null {
  if (upstream?.status === 'cached') return upstream.record?.output_sha256 ?? null;
  return upstream?.refused?.lfs?.current === true ? upstream.refused.lfs.pointer.oid : null;
}

/** A node's seed (and the lock entry behind it), once its input hash is known (or `null`: upstream will run). */
interface Seeded {
  readonly inputSha: string | null;
  readonly locked: LockEntry | undefined;
  readonly truth: LockEntry | undefined;
  readonly seed: number;
  readonly source: SeedSource;
  /** The seed is a paid journaled request's, taken over the lock's (see {@link NodeState.overLock}). */
  readonly overLock: boolean;
}

async function seedOf(
  node: PlanNode,
  inputSha: string | null,
  deps: ResolveDeps,
  options: Pick<RunOptions, 'reseed'>,
): Promise<Seeded> {
  const locked = deps.lock.nodes[node.id];
  const paidUnlocked = locked ? paidUnlockedSeed(node, inputSha, locked, deps) : undefined;
  const journaled = journaledSeed(deps.journalByNode?.get(node.id), {
    keyed:
      inputSha === null ? null : (e) => e.key === keyFor(node, providerOf(node, deps.providerName), inputSha, e.seed),
    own: (e) =>
      e.lock === undefined ||
      deps.lockPath === undefined ||
      e.lock === deps.lockPath ||
      realFolderOf(e.lock) === realFolderOf(deps.lockPath),
  });
  const inherited =
    paidUnlocked === undefined && journaled === undefined
      ? await inheritedEntry(node, inputSha, locked, deps, options)
      : undefined;
  const truth = inherited ?? locked;
  const donor =
    truth === undefined && journaled === undefined ? await donatedEntry(node, inputSha, deps, options) : undefined;
  const { seed, source } = chooseSeed(node, {
    locked: truth,
    reseed: options.reseed,
    draw: deps.draw,
    journaled: journaled ?? donor?.seed,
    paidUnlocked,
    session: deps.sessionSeeds?.get(node.id),
    derive: deps.deriveSeeds === true ? () => derivedSeed(node) : undefined,
  });
  const overLock = paidUnlocked !== undefined && source === 'journal' && seed === paidUnlocked;
  return { inputSha, locked, truth, seed, source, overLock };
}

/** Resolve one node once its seed is chosen: its cache hit (or the lock adopted) or why it runs. */
async function lookUp(
  node: PlanNode,
  seeded: Seeded,
  deps: ResolveDeps,
  options: Pick<RunOptions, 'force'>,
  paths: LockCurrentPaths | null,
): Promise<NodeState> {
  const { inputSha, locked, truth, seed, source } = seeded;
  const forced = selects(options.force, node.id);
  const overLock = seeded.overLock ? ({ overLock: true } as const) : {};
  const key = inputSha === null ? null : keyFor(node, providerOf(node, deps.providerName), inputSha, seed);
  const current =
    key !== null && !forced && locked && paths ? await lockCurrent(node, key, locked, paths, deps.store) : null;
  if (current) {
    const { record } = current;
    return { node, seed, seedSource: source, inputSha, key, record, status: 'cached', reason: null, forced, current };
  }
  let record = key !== null && !forced ? await deps.store.getRecord(key) : null;
  if (record === null && key !== null && !forced && truth && deps.lockDir !== undefined)
    record = await adoptFromLock(node, key, truth, deps.lockDir, deps.store, paths?.outDir);
  const status = record ? 'cached' : 'run';
  let reason: RunReason | null = null;
  if (status === 'run') reason = await runReason(node, { key, forced, inputSha, seed, locked, deps });
  const hit = record && { sha256: record.output_sha256, ext: record.ext };
  const at = paths && {
    locked,
    ...paths,
    providerName: deps.providerName,
    key: forced ? undefined : (key ?? undefined),
  };
  // A forced node's earlier result for its key is kontext's own at its paths (hand-edits.ts).
  const prior = forced && key !== null && at ? await deps.store.getRecord(key) : null;
  const refused = at ? await refusalAhead(node, at, hit, knownOutputs(prior), storeCheck(deps.store, node.id)) : null;
  const entry = reason === 'reattach' && key !== null ? deps.journalEntries?.get(key) : undefined;
  const claim = entry && verdictOf(entry, node, deps);
  return {
    ...{ node, seed, seedSource: source, inputSha, key, record, status, reason, forced },
    ...overLock,
    ...(refused && { refused }),
    ...(entry && claim && { claim }),
    ...(claim === 'take-over' && entry?.refused_at !== undefined && { claimRefused: true as const }),
    ...(entry && claim === 'uncertain' && { uncertain: new UncertainSubmitError(entry) }),
  };
}

/** What the run's claim will do with the journal's entry for this node's key (submit-claim.ts). */
function verdictOf(entry: JournalEntry, node: PlanNode, deps: ResolveDeps): ClaimVerdict {
  return claimVerdict(entry, {
    pid: deps.self?.pid ?? -1,
    isAlive: (pid) => deps.self?.isAlive(pid) ?? false,
    run: '', // no run of this process yet: an entry of a live run in it is another run's
    providerDiesWithRun: providerTraits(providerOf(node, deps.providerName)).diesWithRun,
    resubmitUncertain: deps.resubmitUncertain === true,
  });
}

/**
 * A node with nothing pinning its seed (a new one, or one whose own entry `locked` asks something
 * else now) takes the lock entry of a node that left the plan, or was displaced, and asked the
 * same thing (see orphans.ts); `undefined` otherwise.
 */
async function inheritedEntry(
  node: PlanNode,
  inputSha: string | null,
  locked: LockEntry | undefined,
  deps: ResolveDeps,
  options: Pick<RunOptions, 'reseed'>,
): Promise<LockEntry | undefined> {
  if (node.seed !== null || inputSha === null || deps.orphans === undefined) return undefined;
  if (deps.sessionSeeds?.has(node.id)) return undefined;
  if (selects(options.reseed, node.id)) return undefined;
  // A node with its own entry keeps its seed when that seed's result for what it asks now is cached.
  const own = locked && {
    entry: locked,
    cached: async () =>
      (await deps.store.getRecord(keyFor(node, providerOf(node, deps.providerName), inputSha, locked.seed))) !== null,
  };
  return (await deps.orphans.claim(node, inputSha, own)) ?? undefined;
}

/**
 * A new node with nothing pinning its seed and no lock entry to take over: the seed of a paid
 * journaled request whose node left the plan and asked the same (see orphans.ts), so its key is
 * that request's and it re-attaches; `undefined` otherwise.
 */
async function donatedEntry(
  node: PlanNode,
  inputSha: string | null,
  deps: ResolveDeps,
  options: Pick<RunOptions, 'reseed'>,
): Promise<JournalEntry | undefined> {
  if (node.seed !== null || inputSha === null || deps.donors === undefined) return undefined;
  if (deps.sessionSeeds?.has(node.id)) return undefined;
  if (selects(options.reseed, node.id)) return undefined;
  return (await deps.donors.claim(node, inputSha)) ?? undefined;
}

async function hashRoots(plan: Plan, store: Store): Promise<Map<string, string>> {
  const limit = pLimit(16);
  const out = new Map<string, string>();
  await Promise.all(
    plan.nodes.map((node) =>
      limit(async () => {
        const sha = await sourceInputSha(node, store);
        if (sha !== null) out.set(node.id, sha);
      }),
    ),
  );
  return out;
}

/** Why a node runs: re-attaching to a journaled request of its key (whatever else changed), forced, or what changed. */
async function runReason(
  node: PlanNode,
  now: {
    readonly key: string | null;
    readonly forced: boolean;
    readonly inputSha: string | null;
    readonly seed: number;
    readonly locked: LockEntry | undefined;
    readonly deps: ResolveDeps;
  },
): Promise<RunReason> {
  const { key, forced, inputSha, seed, locked, deps } = now;
  if (key !== null && deps.journalEntries?.has(key) === true) return 'reattach';
  const provider = providerOf(node, deps.providerName);
  return forced ? 'forced' : whyRun(node, { key, inputSha, seed, locked, store: deps.store, provider });
}

/**
 * Compare with what the lock recorded last time (and that run's record) to say why. Without that record
 * (a fresh machine, no remote), a key other than the lock's with the same input, seed, provider and
 * model says the request changed (prompt or params), not that the lock's result is missing.
 */
async function whyRun(
  node: PlanNode,
  now: {
    readonly key: string | null;
    readonly inputSha: string | null;
    readonly seed: number;
    readonly locked: LockEntry | undefined;
    readonly store: Store;
    readonly provider: string;
  },
): Promise<RunReason> {
  const { key, inputSha, seed, locked, store, provider } = now;
  if (!locked) return 'new';
  if (inputSha === null || locked.input_sha256 !== inputSha) return 'input-changed';
  if (locked.seed !== seed) return 'seed-changed';
  if (locked.provider !== provider) return 'provider-changed'; // part of the key (walk-ab 3)
  const previous = await store.getRecord(locked.key);
  if (!previous) {
    if (locked.model !== node.model) return 'model-changed';
    return key !== null && key !== locked.key ? 'request-changed' : 'not-cached';
  }
  if (previous.model !== node.model) return 'model-changed';
  if (previous.prompt !== undefined && previous.prompt !== normalizedPrompt(node)) return 'prompt-changed';
  if (previous.params !== undefined && canonicalJson(previous.params) !== canonicalJson(resolvedParams(node)))
    return 'params-changed';
  return previous.prompt === undefined ? 'prompt-changed' : 'not-cached';
}
