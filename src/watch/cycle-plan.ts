/**
 * One watch cycle's plan (watch-session.ts): the recipe built into a plan, its lock read (a
 * lock git left conflicted merged from the output files, run/lock-resolve.ts), the node states
 * resolved with the session's seeds, the cycle's lint said, and the merged lock written.
 */
import { dirname } from 'node:path';
import { buildPlan } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import type { RunScope } from '../run/context.js';
import type { RunEvent } from '../run/events.js';
import { emitWarnings } from '../run/lint-warnings.js';
import { checksBeforeMerge, lostThenStrays, resolvedLock, writeResolved } from '../run/lock-resolve.js';
import { mergedResultStop } from '../run/lock-merge-stop.js';
import { lostDonorStop, withTakenDonors } from '../run/lock-donors.js';
import { overrideProvider } from '../run/node-provider.js';
import { prepareRun, type Prepared } from '../run/prepare.js';
import type { RunRecipeOptions } from '../run/run-recipe.js';
import { strayLockEntries } from '../run/stray-locks.js';
import type { LockFile } from '../store/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import type { LockSeen } from './lock-seen.js';

/** One cycle's share of the run context, and where its lock is. */
export interface CycleRun {
  readonly scope: RunScope;
  readonly lockPath: string;
  readonly writeGuard: WriteGuard;
  /** Keys in flight as the previous run was stopped: in flight for the cycle, even those done while it plans. */
  readonly flying: ReadonlySet<string>;
}

export interface CyclePlanDeps {
  /** The cycle's options: --force and --reseed only on the first (later cycles re-run only what changed). */
  readonly options: RunRecipeOptions;
  /** Node id → the seed an earlier cycle used, and the lock's seed for the node then. */
  readonly sessionSeeds: ReadonlyMap<string, SessionSeed>;
  readonly rt: Runtime;
  readonly emit: (event: RunEvent) => void;
  /** Told the plan and its lock once resolved, before the checks that may still refuse the cycle. */
  readonly onPlanned: (planned: { readonly plan: Plan; readonly lock: LockFile }) => void;
  /** The session's lock as it knows it (lock-seen.ts): signed as the plan reads it and as the merge writes it. */
  readonly lockSeen?: LockSeen;
}

export async function planCycle(recipe: Recipe, run: CycleRun, deps: CyclePlanDeps): Promise<Prepared> {
  const plan = overrideProvider(buildPlan(recipe), deps.options.provider);
  await deps.lockSeen?.planning(run.lockPath);
  const lock = await resolvedLock(run.lockPath, {
    outputs: run.writeGuard,
    store: run.scope.store,
    nodes: plan.nodes,
    providerName: run.scope.providerName,
  });
  const prepared = await prepareRun(
    plan,
    {
      store: run.scope.store,
      providerName: run.scope.providerName,
      lock: lock.lock,
      draw: deps.rt.randomSeed,
      sessionSeeds: seedsKept(deps.sessionSeeds, lock.lock),
      lockDir: dirname(run.lockPath),
      lockPath: run.lockPath,
      strays: lostThenStrays(lock, strayLockEntries(run.lockPath, run.writeGuard)),
      self: deps.rt,
    },
    deps.options,
  );
  emitWarnings(recipe.warnings, deps.emit); // every cycle's lint, before its first request
  deps.onPlanned({ plan: prepared.plan, lock: lock.lock });
  const notice = (message: string): void => deps.emit({ type: 'notice', t: 0, message });
  const { store, providerName } = run.scope;
  const mergeStop =
    (await mergedResultStop(run.lockPath, lock, prepared, store)) ??
    (await lostDonorStop(run.lockPath, lock, prepared, providerName, store));
  const preflight = (): Promise<void> => {
    if (mergeStop) throw mergeStop; // a branch's result nothing here holds: not paid again
    return run.scope.preflight(prepared, { guard: run.writeGuard });
  };
  await checksBeforeMerge(run.lockPath, lock, notice, preflight);
  const merged = withTakenDonors(run.lockPath, lock, prepared);
  const resolved = await writeResolved(run.lockPath, merged, deps.rt, deps.lockSeen?.update);
  if (resolved !== null) notice(resolved);
  return prepared;
}

/** A seed a watch session chose for a node, and the seed the lock held for it then (none: no entry). */
export interface SessionSeed {
  readonly seed: number;
  readonly lockSeed: number | undefined;
}

/**
 * The session's seeds that still win over the lock: those whose node's lock entry is as the session
 * last saw it, or holds the session's own seed (its result landed). A lock changed under the watcher
 * (a `git pull`, a checkout, a teammate's `--reseed` committed) is the truth, as it is for a plain
 * run: its seeds are taken, so the watcher neither writes the old seeds back into it nor pays for
 * them (walk-aa 1). A request in flight under the old seed is then abandoned as any superseded one.
 */
function seedsKept(seeds: ReadonlyMap<string, SessionSeed>, lock: LockFile): Map<string, number> {
  const kept = new Map<string, number>();
  for (const [node, { seed, lockSeed }] of seeds) {
    const now = lock.nodes[node]?.seed;
    if (now === lockSeed || now === seed) kept.set(node, seed);
  }
  return kept;
}
