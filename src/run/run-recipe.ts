/**
 * One recipe, start to finish, as `kontext run` does it: load, plan, open the run context
 * (store, hosting, provider session on first use), read the lock, resolve states, then either
 * describe (`--dry-run`) or check (preflight) and execute. The programmatic API and the CLI
 * both call this.
 */
import { overrideProvider, stopFailure } from './node-provider.js';
import { basename, dirname, extname, join } from 'node:path';
import { buildPlan } from '../plan/index.js';
import type { ProviderSession } from '../providers/session.js';
import type { RemoteBounds } from '../remote/bucket.js';
import { loadRecipe } from '../recipe/index.js';
import type { Plan } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import type { KontextError } from '../errors.js';
import { openRunContext, type RunContext, type RunContextOptions, type RunTarget } from './context.js';
import type { RunEvent } from './events.js';
import { describeRun, type DryRunReport } from './dry-run.js';
import type { RunOptions } from './options.js';
import { forcedLeftBehind, forcedLeftNotice } from './forced-left.js';
import { prepareRun } from './prepare.js';
import { strayLockEntries } from './stray-locks.js';
import { eventReason } from './event-reason.js';
import { executePlan, type FinishedRun, type RunSummary } from './scheduler.js';
import { interrupted } from './outcome.js';
import { writeGuardFor } from './write-guard-for.js';
import { holdRunLock, waitingMessage } from './run-lock.js';
import { interruptSignal } from './interrupt-signal.js';
import { checkDeps, checkRunOptions } from './option-checks.js';
import { guardListener } from './event-listener.js';
import { stampWarnings } from './event-clock.js';
import { emitWarnings } from './lint-warnings.js';
import { previewRun } from './preview.js';
import { checkCiFlags, frozenDeps, frozenFailure } from './frozen.js';
import { localResults } from './local-results.js';
import { sharedOutputWarnings } from './shared-outputs.js';
import { sourceSweepProblems } from './output-clashes.js';
import { emptyShardMessage, shardLockBase, ShardRemoteStop, shardShortfall } from './shard.js';
import {
  checksBeforeMerge,
  conflictMessage,
  conflictRefusal,
  lostThenStrays,
  resolvedLock,
  writeResolved,
} from './lock-resolve.js';
import { mergedResultStop } from './lock-merge-stop.js';
import { lostDonorStop, withTakenDonors } from './lock-donors.js';
import { pickedOutPreview, settlePickedOut } from './picked-out.js';
import { legacyMoves, legacyMovesNotice } from './legacy-moves.js';
import { withDefaultCostLimit } from './cost-limit.js';

export interface RunRecipeOptions
  extends Omit<RunOptions, 'jobs' | 'maxCostUsd'>,
    Omit<RunContextOptions, 'maxCostUsd'> {
  /** Concurrent remote requests; default 4. */
  readonly jobs?: number | undefined;
  /**
   * Stop before submitting when the run would cost more (US dollars). Left out: the limit the
   * runtime's environment sets, `KONTEXT_MAX_COST`, else the user config's `max_cost`, as `kontext
   * run` applies it (run/cost-limit.ts); `null`: no limit at all (`--no-max-cost`).
   */
  readonly maxCostUsd?: number | null | undefined;
  readonly strict?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** Before running, emit a `node-plan` event per node that will run: why, and how its input reaches the API. */
  readonly explain?: boolean | undefined;
}

export interface RunRecipeDeps {
  readonly rt: Runtime;
  readonly onEvent: (event: RunEvent) => void;
  /**
   * Reuse an open provider session (the caller closes it); otherwise one is opened (when there is
   * work) and closed here. It serves only the nodes on its own provider (`session.name`): a run
   * with a node to submit or re-attach on another (the recipe's `provider:`, a pass's, `--provider`)
   * rejects with a `UsageError` (exit 64) naming both, before any request; nothing is paid.
   */
  readonly session?: ProviderSession | undefined;
  /** The remote cache's time bounds, when shorter than the product's (tests that check one fires). */
  readonly remoteBounds?: RemoteBounds | undefined;
  /** S3 hosting's idle timeout, when shorter than the product's 60 s (tests that check it fires). */
  readonly s3IdleTimeoutMs?: number | undefined;
}

export type RunRecipeResult =
  | { readonly kind: 'run'; readonly recipe: Recipe; readonly summary: RunSummary }
  | {
      readonly kind: 'dry-run';
      readonly recipe: Recipe;
      readonly report: DryRunReport;
      /** What the real run would stop with before its first request (same error, same exit code). */
      readonly failure: KontextError | null;
    };

/** The options once checked: `jobs` defaulted, the cost limit resolved (a number, or none). */
type Checked = Omit<RunRecipeOptions, 'maxCostUsd'> & {
  readonly jobs: number;
  readonly maxCostUsd?: number | undefined;
};

export async function runRecipe(
  path: string,
  options: RunRecipeOptions,
  deps: RunRecipeDeps,
): Promise<RunRecipeResult> {
  const given = checkRunOptions(options); // a bad number is a usage error here, not a TypeError deep inside
  checkDeps(deps);
  checkCiFlags(options, { watch: false }); // frozen with force/reseed, shard with noRemote: as the CLI refuses them
  // A library run spends no more than the CLI would: KONTEXT_MAX_COST or max_cost when left out (walk-am 1).
  const checked = await withDefaultCostLimit(given, deps.rt);
  // Aborting `options.signal` for any reason stops the run as Ctrl-C does: a typed InterruptedError.
  const signal = interruptSignal(options.signal);
  // The caller's exception does not stop the run; its warnings and notices get the run's clock.
  const listener = guardListener(stampWarnings(deps.onEvent, () => deps.rt.monotonic()));
  const result = await runRecipeWith(path, { ...checked, signal }, { ...deps, onEvent: listener.onEvent });
  listener.throwIfFailed();
  return result;
}

async function runRecipeWith(path: string, options: Checked, deps: RunRecipeDeps): Promise<RunRecipeResult> {
  const { rt } = deps;
  const recipe = await loadRecipe(path, {
    rt,
    strict: options.strict ?? false,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  emitWarnings(recipe.warnings, deps.onEvent); // lint before money: before any request
  const plan = overrideProvider(buildPlan(recipe), options.provider);
  const lockPath = lockPathFor(recipe);
  emitWarnings(await sourceSweepProblems(recipe, lockPath), deps.onEvent); // a glob taking another recipe's outputs
  // One run of a recipe at a time (see run-lock.ts); a dry run only reads. Shards of one recipe run
  // side by side (their nodes differ; the lock file merges their entries under its own mutex).
  const releaseRun = options.dryRun
    ? null
    : await holdRunLock(options.shard ? shardLockBase(lockPath, options.shard) : lockPath, {
        pid: rt.pid,
        isAlive: (pid) => rt.isAlive(pid),
        signal: options.signal,
        onWait: (pid, elsewhere) =>
          deps.onEvent({ type: 'warning', t: 0, message: waitingMessage(pid, recipe.file, rt.pid, elsewhere) }),
      });
  try {
    const context = openRunContext(deps, options);
    let result: InContext;
    try {
      result = await runInContext(context, { recipe, plan, lockPath }, options, deps);
    } finally {
      await context.close(); // waits for the uploads to the remote cache (its notices come now)
    }
    if (result.kind !== 'run') return result;
    let summary = result.finished.summary;
    if (options.shard) {
      const shard = shardShortfall(summary, context.remoteShortfall, options.shard, result.remoteStop?.held ?? null);
      for (const message of shard.warnings) deps.onEvent({ type: 'warning', t: 0, message });
      summary = shard.summary;
    }
    // Last: the summary, with the exit code the run ends with (Ctrl-C while the uploads finished too).
    return { kind: 'run', recipe, summary: result.finished.announce(interrupted(summary, options.signal)) };
  } finally {
    await releaseRun?.();
  }
}

/** A run's result before its summary is sent: the summary waits for the context's close. */
type InContext =
  | Exclude<RunRecipeResult, { kind: 'run' }>
  | { readonly kind: 'run'; readonly finished: FinishedRun; readonly remoteStop: ShardRemoteStop | null };

async function runInContext(
  context: RunContext,
  p: { readonly recipe: Recipe; readonly plan: Plan; readonly lockPath: string },
  options: Checked,
  deps: RunRecipeDeps,
): Promise<InContext> {
  const { recipe, plan, lockPath } = p;
  const { rt } = deps;
  const run = await context.scope(runTargetFor(recipe));
  const writeGuard = await writeGuardFor(recipe, {
    lockPath,
    cacheDir: run.store.root,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  // A lock naming files outside the project (or its recipe, sources, .git) is refused here; one
  // git left conflicted is merged from the output files and the cache (lock-resolve.ts).
  const lock = await resolvedLock(lockPath, {
    outputs: writeGuard,
    store: run.store,
    nodes: plan.nodes,
    providerName: run.providerName,
  });
  const refusal = options.frozen ? conflictRefusal(lockPath, lock, '--frozen does not rewrite the lock') : null;
  if (refusal) throw refusal;
  const prepared = await prepareRun(
    plan,
    {
      store: run.store,
      providerName: run.providerName,
      lock: lock.lock,
      draw: rt.randomSeed,
      lockDir: dirname(lockPath),
      lockPath,
      strays: lostThenStrays(lock, strayLockEntries(lockPath, writeGuard)),
      self: rt,
    },
    options,
  );
  // A branch's result the merged recipe asks for and nothing here holds: stop before paying again.
  const mergeStop =
    (await mergedResultStop(lockPath, lock, prepared, run.store)) ??
    (await lostDonorStop(lockPath, lock, prepared, run.providerName, run.store));
  if (options.shard && prepared.nodes.length === 0)
    deps.onEvent({ type: 'notice', t: 0, message: emptyShardMessage(plan.nodes, options.shard) });
  const forcedLeft = forcedLeftNotice(
    forcedLeftBehind(prepared.states, prepared.journal ?? [], lock.lock, lockPath, rt),
  );
  if (forcedLeft !== null) deps.onEvent({ type: 'notice', t: 0, message: forcedLeft });
  const describe = { store: run.store, hosting: run.hosting, now: rt.now, providerName: run.providerName };
  const frozen = options.frozen ? frozenFailure(prepared) : null;
  if (options.dryRun) {
    // The same checks as a real run (token, hosting, trust, --max-cost); nothing is hosted or submitted.
    const checks = {
      preflight: () => run.preflight(prepared, { dryRun: true, guard: writeGuard }),
      provider: run.provider,
      providerName: run.providerName,
      providerFor: run.providerFor,
      signal: options.signal,
      readMs: options.priceReadMs,
    };
    if (lock.conflict)
      deps.onEvent({ type: 'notice', t: 0, message: conflictMessage(lockPath, lock.conflict, 'a run resolves them') });
    const overwrite = options.overwrite ?? false;
    const pickedOut = await pickedOutPreview(recipe, plan, { lock: lock.lock, lockPath, store: run.store, overwrite });
    if (pickedOut !== null) deps.onEvent({ type: 'notice', t: 0, message: pickedOut });
    const moves = await legacyMoves(prepared, {
      lockDir: dirname(lockPath),
      outDir: plan.recipe.outDir,
      store: run.store,
    });
    const moving = legacyMovesNotice(moves, recipe.dir);
    if (moving !== null) deps.onEvent({ type: 'notice', t: 0, message: moving });
    const preview = await previewRun(prepared, describe, checks);
    // Else what the nodes the run stops before paying fail with: an output kontext did not write
    // (exit 65, hand-edits.ts), a dead run's intent (exit 75, submit-claim.ts); the worst code wins.
    return {
      kind: 'dry-run',
      recipe,
      ...preview,
      failure: frozen ?? mergeStop ?? preview.failure ?? stopFailure(prepared.stopped),
    };
  }
  if (frozen) throw frozen; // before preflight: a CI job without a token still lists what is missing
  await run.uploads?.resume();
  if (options.explain) {
    for (const row of (await describeRun(prepared, describe)).rows) {
      const state = prepared.states.get(row.node);
      if (row.status === 'run' && state)
        deps.onEvent({ type: 'node-plan', t: 0, node: row.node, ...eventReason(state), input: row.input ?? '' });
    }
  }
  const notice = (message: string): void => deps.onEvent({ type: 'notice', t: 0, message });
  await checksBeforeMerge(lockPath, lock, notice, () => {
    if (mergeStop) throw mergeStop;
    return run.preflight(prepared, { guard: writeGuard });
  });
  const resolved = await writeResolved(lockPath, withTakenDonors(lockPath, lock, prepared), rt);
  if (resolved !== null) notice(resolved);
  // A shard whose remote can take none of its results submits nothing more (shard.ts).
  const remoteStop = options.shard && run.uploads ? new ShardRemoteStop(run.uploads.lost) : null;
  // Credentials that may not write found before the first request (and before inputs are hosted
  // ahead for it), not at the first upload.
  if (remoteStop && prepared.billable > 0 && !options.frozen) await run.uploads?.checkWrite();
  // Uploads start now, in the background, instead of inside each node's -j slot; none once the
  // shard submits nothing more (its remote lost mid-run, at a look-up or an upload).
  const prefetch = run.prefetch(prepared, remoteStop?.signal);
  const written = new Set<string>(); // the outputs this run wrote (shared-outputs.ts)
  const onEvent = (e: RunEvent): void => {
    prefetch.observe(e);
    remoteStop?.observe(e);
    if (e.type === 'node-done' || (e.type === 'node-cached' && e.restored)) written.add(e.output);
    deps.onEvent(e);
  };
  try {
    const runDeps = { ...run.runDeps({ lockPath, onEvent, writeGuard }), submitStop: remoteStop?.signal };
    const finished = await executePlan(prepared, options.frozen ? frozenDeps(runDeps) : runDeps, options);
    if (options.shard && run.uploads && !options.signal?.aborted) {
      // A shard's results reach the assemble run only through the remote: its local hits too.
      const local = await localResults(
        prepared.nodes,
        prepared.states,
        lock.lock,
        dirname(lockPath),
        run.uploads.local,
      );
      for (const { record } of local.byKey.values()) run.uploads.ensure(record);
    }
    for (const message of await sharedOutputWarnings({ lockPath, projectRoot: recipe.projectRoot }, written))
      deps.onEvent({ type: 'warning', t: 0, message });
    // The branches a pick leaves out: their files back to the lock's bytes, from the cache (walk-z 4).
    if (!options.signal?.aborted) {
      const { overwrite = false } = options;
      const settled = await settlePickedOut(recipe, plan, {
        lock: lock.lock,
        lockPath,
        store: run.store,
        guard: writeGuard,
        overwrite,
      });
      if (settled.notice !== null) notice(settled.notice);
      if (settled.warning !== null) deps.onEvent({ type: 'warning', t: 0, message: settled.warning });
    }
    return { kind: 'run', finished, remoteStop };
  } finally {
    await prefetch.stop();
  }
}

/** What the run context needs to know about a recipe. */
export function runTargetFor(recipe: Recipe): RunTarget {
  return {
    provider: recipe.provider,
    projectRoot: recipe.projectRoot,
    hosting: recipe.hosting,
    recipeFile: basename(recipe.file),
    hostingAt: recipe.hostingAt,
    sourcesAt: Object.fromEntries(recipe.sources.flatMap((s) => (s.location ? [[s.name, s.location]] : []))),
    remote: recipe.remote,
    outDir: recipe.outDir,
  };
}

/** `<recipe-stem>.lock.json` beside the recipe. */
export function lockPathFor(recipe: Recipe): string {
  return join(recipe.dir, `${basename(recipe.file, extname(recipe.file))}.lock.json`);
}
