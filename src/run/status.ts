/**
 * `kontext status`: what a run of the recipe would do, without doing any of it. Node states
 * come from the run's own resolve code (`prepareRun` → `resolveStates`: seeds, keys, cache
 * hits, reasons), through the remote cache the run would use (src/remote: a result only there
 * is checked as the run checks it, and not taken); on top of that the outputs on disk are
 * compared with the lock (modified by hand, missing and restorable from the cache) and the lock
 * and out folder are searched for nodes the recipe no longer has. Never submits, never writes
 * outputs or the lock, never uploads.
 */
import { saveCopyPath } from '../util/save-template.js';
import { checkProvider } from './option-checks.js';
import { overrideProvider } from './node-provider.js';
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { buildPlan, outputPathFor, withoutPicks } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import { loadRecipe, loadUserConfig } from '../recipe/index.js';
import { RemotePool } from '../remote/index.js';
import type { ProviderName, Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { outputsClaimedElsewhere, type OutScopeInput, outScope, scanOutDir } from './clean-scan.js';
import { takenEntries, takenFrom } from './clean-taken.js';
import { openStoreOrStandIn } from './open-cache.js';
import { writeGuardFor } from './write-guard-for.js';
import type { LockEntry, LockFile, Store } from '../store/types.js';
import { prepareRun } from './prepare.js';
import { strayLockEntries, strayLockPaths } from './stray-locks.js';
import type { NodeState } from './resolve.js';
import type { HandEditedOutputError } from './hand-edits.js';
import { cacheDirFor } from './context.js';
import { currentReview, driftOf } from './drift.js';
import { storedRecord } from './lock-current.js';
import { lockPathFor } from './run-recipe.js';
import { conflictMessage, lostThenStrays, resolvedLock } from './lock-resolve.js';
import { mergedResultStop } from './lock-merge-stop.js';
import { guardMessages } from './event-listener.js';
import { pickedOutFiles, pickedOutStatus } from './picked-out.js';
import { legacyMoves } from './legacy-moves.js';
import type { NodeStatus, OrphanStatus, RecipeStatus } from './status-types.js';

export type { NodeStatus, NodeStatusState, OrphanStatus, RecipeStatus } from './status-types.js';

export interface StatusOptions {
  readonly provider?: ProviderName | undefined;
  readonly cacheDir?: string | undefined;
  readonly strict?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** `--no-remote`: the local cache only. */
  readonly noRemote?: boolean | undefined;
}

export interface StatusDeps {
  readonly rt: Runtime;
  /** A remote cache down, denying or sending something unusable: said once; status answers from local knowledge. */
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly onNotice?: ((message: string) => void) | undefined;
}

export async function recipeStatus(path: string, options: StatusOptions, deps: StatusDeps): Promise<RecipeStatus> {
  checkProvider(options.provider); // as runRecipe: a name --provider would refuse is a usage error
  // A callback that throws changes nothing; once the status is known, its error is thrown (exit 70).
  const said = guardMessages(deps);
  const status = await statusOf(path, options, { ...deps, ...said });
  return said.unlessFailed(status, 'the status was computed regardless');
}

async function statusOf(path: string, options: StatusOptions, deps: StatusDeps): Promise<RecipeStatus> {
  const { rt } = deps;
  const recipe = await loadRecipe(path, {
    rt,
    strict: options.strict ?? false,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  // Reading only: the store is never flushed, so not even the source-hash memo is written.
  // An unwritable cache dir gives a stand-in for this call (adopting from the lock writes to it).
  const opened = await openStoreOrStandIn(cacheDirFor(recipe, options.cacheDir, rt));
  try {
    return await throughRemote(
      opened.store,
      { recipe, off: options.noRemote, rt, onWarning: deps.onWarning, onNotice: deps.onNotice },
      async (store, fromRemote) => (await statusDetail(store, { recipe, options, rt, fromRemote })).status,
    );
  } finally {
    await opened.discard();
  }
}

/**
 * `use` with `local` behind which the remote cache a run of `recipe` would use answers what
 * `local` lacks (src/remote/choose.ts; the user config is read only when it may decide), read
 * only: peeked (status, the report: nothing kept), or with `take` downloaded into `local`,
 * sha256-checked as a run's fetch is (`kontext report --fetch-remote`). `off`: `--no-remote`.
 * `fromRemote`: the keys the remote answered. A remote down or refusing is one warning.
 */
export async function throughRemote<T>(
  local: Store,
  p: {
    readonly recipe: Recipe;
    readonly off: boolean | undefined;
    readonly rt: Runtime;
    readonly take?: boolean | undefined;
    readonly onWarning?: ((message: string) => void) | undefined;
    readonly onNotice?: ((message: string) => void) | undefined;
  },
  use: (store: Store, fromRemote: ReadonlySet<string>) => Promise<T>,
): Promise<T> {
  const { rt } = p;
  const remotes = new RemotePool({
    rt,
    warn: (message) => p.onWarning?.(message),
    notice: (message) => p.onNotice?.(message),
  });
  try {
    const off = p.off === true;
    const envRemote = (rt.env['KONTEXT_REMOTE_CACHE'] ?? '').trim() !== '';
    const user = off || envRemote ? undefined : (await loadUserConfig(rt)).cache?.remote;
    const inputs = { recipe: p.recipe.remote, user, off, recipeFile: basename(p.recipe.file) };
    const { store, fromRemote } = await remotes.peek(local, inputs, p.take === true ? 'take' : 'peek');
    return await use(store, fromRemote);
  } finally {
    await remotes.close();
  }
}

/** What `kontext status` and the review report (src/report/) read: the status, the resolved states and the lock. */
export interface StatusDetail {
  readonly status: RecipeStatus;
  readonly plan: Plan;
  readonly states: ReadonlyMap<string, NodeState>;
  readonly lock: LockFile;
}

/** The status of a loaded recipe against an open store (reads only). */
export async function statusDetail(
  store: Store,
  p: {
    readonly recipe: Recipe;
    readonly options: StatusOptions;
    readonly rt: Runtime;
    /** Keys whose record `store` took from the remote cache (remote-store.ts's `peekingRemote`). */
    readonly fromRemote?: ReadonlySet<string> | undefined;
  },
): Promise<StatusDetail> {
  const { recipe, options, rt } = p;
  const fromRemote = p.fromRemote ?? new Set<string>();
  const plan = overrideProvider(buildPlan(recipe), options.provider);
  const lockPath = lockPathFor(recipe);
  const guard = await writeGuardFor(recipe, {
    lockPath,
    cacheDir: store.root,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  const providerName = options.provider ?? recipe.provider;
  const resolved = await resolvedLock(lockPath, { outputs: guard, store, nodes: plan.nodes, providerName });
  const { lock } = resolved;
  const prepared = await prepareRun(
    plan,
    {
      store,
      providerName,
      lock,
      draw: rt.randomSeed,
      lockDir: dirname(lockPath),
      lockPath,
      strays: lostThenStrays(resolved, strayLockEntries(lockPath, guard)),
      self: rt,
    },
    {},
  );
  const nodes: NodeStatus[] = [];
  for (const node of plan.nodes) {
    const state = prepared.states.get(node.id);
    if (!state) continue;
    const status = await nodeStatus(state, lock.nodes[node.id], { plan, recipe, store, fromRemote });
    const by = prepared.stopped?.get(node.id)?.by;
    // Below a node the run stops at, nothing runs or is restored (walk-r 3: a missing output said restorable).
    const waiting = status.state === 'will-run' || status.state === 'missing' || status.state === 'remote';
    nodes.push(waiting && by !== undefined && by !== node.id ? { ...status, stopped_by: by } : status);
  }
  // Branches a pick left out are not orphans: picking them again is free (as `clean` keeps them).
  // Without picks that is the plan itself (a provider override changes no id or output path).
  const unpicked = withoutPicks(recipe);
  const unpickedPlan = unpicked === recipe ? plan : buildPlan(unpicked);
  // Nor are entries a renamed node takes over, resolved as clean resolves them (the recipe's own
  // providers, every branch): the states above are those when neither picks nor --provider change them.
  // (and, as clean does, on each other provider a dropped entry was paid on: takenEntries).
  const taken =
    unpicked === recipe && options.provider === undefined
      ? await takenEntries(plan, { lock, lockPath, store, guard, rt, base: takenFrom(prepared.states, lock) })
      : await takenEntries(buildPlan(unpicked), { lock, lockPath, store, guard, rt });
  const { orphaned, kept } = await orphans(unpickedPlan, lock, {
    recipe,
    taken,
    others: await outputsClaimedElsewhere({ lockPath, projectRoot: recipe.projectRoot }),
    lockPath,
    cacheDir: store.root,
    guard,
    now: rt.now(),
  });
  const c = resolved.conflict;
  // A branch's result the merged recipe asks for and nothing here holds: the run stops (lock-merge-stop.ts).
  const stop = await mergedResultStop(lockPath, resolved, prepared, store);
  const stopped = stop?.nodes.map((n) => n.node).join(', ');
  const done = stop
    ? `\`kontext run\` stops before paying again for ${stopped}: ${stop.checkouts} first`
    : '`kontext run` resolves them; nothing is written until then';
  const message = c === null ? '' : conflictMessage(lockPath, c, done);
  const lockConflict = c === null ? null : { hunks: c.hunks, counts: c.counts, decided: c.decided, message };
  const pickedOut = (await pickedOutFiles(recipe, plan, { lock, lockPath, store })).map(pickedOutStatus);
  const toMove = await legacyMoves(prepared, { lockDir: dirname(lockPath), outDir: recipe.outDir, store });
  const dirty =
    lockConflict !== null || pickedOut.length > 0 || toMove.length > 0 || nodes.some((n) => n.state !== 'up-to-date');
  const { billable } = prepared;
  return {
    status: {
      recipe: recipe.file,
      lock: lockPath,
      nodes,
      orphaned,
      pickedOut,
      toMove,
      kept,
      lockConflict,
      strayLocks: await strayLockPaths(lockPath),
      dirty,
      billable,
    },
    plan,
    states: prepared.states,
    lock,
  };
}

async function nodeStatus(
  s: NodeState,
  locked: LockEntry | undefined,
  at: {
    readonly plan: Plan;
    readonly recipe: Recipe;
    readonly store: Store;
    readonly fromRemote: ReadonlySet<string>;
  },
): Promise<NodeStatus> {
  const base = { node: s.node.id, pass: s.node.pass, reason: null, restorable: false, drift: null };
  const lockedOutput = locked ? resolve(at.recipe.dir, locked.output) : null;
  if (s.status === 'run' || !s.record) {
    // Bytes the lock did not put there: the run refuses the node before paying (hand-edits.ts).
    if (s.refused) return { ...base, ...refusedStatus(s.refused) };
    const claim = { ...(s.claim && { claim: s.claim }), ...(s.claimRefused && { submit_refused: true as const }) };
    return { ...base, state: 'will-run', reason: s.reason, output: lockedOutput, ...claim };
  }
  // A node served from the lock alone carries no review: read its record when a max_change asks.
  const reviewed = s.current && s.node.maxChange !== undefined ? await storedRecord(s, at.store) : s.record;
  const drift = driftOf(s.node, currentReview(reviewed));
  // Lock-current (lock-current.ts): resolve has just found the output and its save: copy holding the entry's bytes.
  if (s.current && locked?.key === s.key && lockedOutput !== null)
    return { ...base, state: 'up-to-date', output: lockedOutput, drift };
  // The file the lock describes when it describes this result; else where the run would write it.
  const current = locked?.key === s.key ? locked : undefined;
  const output = current && lockedOutput ? lockedOutput : outputPathFor(at.plan, s.node, s.record.ext);
  const expected = current?.output_sha256 ?? s.record.output_sha256;
  const saved = saveCopyPath(s.node.save, s.record.ext);
  // The file there is not this result (changed by hand): its drift is not the file's.
  if (s.refused) return { ...base, ...refusedStatus(s.refused) };
  // Only the remote cache has it: the run downloads it (and writes out/ and the lock), without a request.
  if (s.key !== null && at.fromRemote.has(s.key)) return { ...base, state: 'remote', output, drift };
  if (!isFile(output) || (saved !== null && !isFile(saved)))
    return { ...base, state: 'missing', output, restorable: true, drift };
  // Not refused, yet other bytes: the lock's earlier result, which the run replaces from the cache.
  // The right bytes but a lock that does not name this result (another provider's, an older
  // prompt's, none): the run rewrites the lock, so it is not up to date either (walk-ab 1).
  const actual = (await at.store.hashSource(output)).sha256;
  if (actual === expected && current !== undefined) return { ...base, state: 'up-to-date', output, drift };
  return { ...base, state: 'missing', output, restorable: true, drift };
}

/** A node the run refuses at a file: `modified`, saying whether that file is a git LFS pointer. */
function refusedStatus(refused: HandEditedOutputError): Pick<NodeStatus, 'state' | 'output' | 'lfs_pointer'> {
  return { state: 'modified', output: refused.path, ...(refused.lfs !== null && { lfs_pointer: true as const }) };
}

/**
 * Lock entries of nodes the recipe no longer has (but for those a renamed node takes over), and
 * the files under `<out>/` that `kontext clean` would remove (clean-scan.ts: kontext made them and
 * no current node writes them); the files there that kontext did not make come back as `kept`.
 */
async function orphans(
  unpicked: Plan,
  lock: LockFile,
  at: Omit<OutScopeInput, 'plan' | 'lock'>,
): Promise<{ orphaned: OrphanStatus[]; kept: string[] }> {
  const { lockEntries, scope } = outScope({ ...at, plan: unpicked, lock });
  const orphaned: OrphanStatus[] = lockEntries.map((id) => {
    const output = resolve(dirname(at.lockPath), lock.nodes[id]?.output ?? '');
    return { node: id, output, inLock: true, exists: isFile(output) };
  });
  const listed = new Set(orphaned.map((o) => o.output));
  const scan = await scanOutDir(scope);
  for (const file of scan.files.sort())
    if (!listed.has(file)) orphaned.push({ node: null, output: file, inLock: false, exists: true });
  return { orphaned, kept: scan.kept.sort() };
}

/** Synchronous: asked for every output (1,000 times in a 1,000-node report), where a promise costs more than a stat. */
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}
