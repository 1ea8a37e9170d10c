/**
 * Watch mode's engine (no file watching here: recipe-watcher.ts feeds it changes). Each cycle
 * reloads and validates the recipe (an invalid one keeps the last good plan in force),
 * stops the previous run softly, re-plans, abandons in-flight requests the new plan no longer
 * wants (cancelled while queued; left to finish into the cache once running), and starts a
 * run in which everything already done is a cache hit and everything still in flight is
 * awaited rather than resubmitted. One run context (run/context.ts) serves every cycle: its
 * provider session, stores and hostings are reused, and closed when watching ends. A cycle's
 * plan (the lock read, states resolved with the session's seeds): cycle-plan.ts.
 * Each cycle hosts its local sources ahead of the -j slots, as a plain run does
 * (watch-prefetch.ts: what a superseded cycle was uploading goes on only if the new plan needs it).
 */
import type { SessionPool } from '../providers/session-pool.js';
import { readRecipeText, validateRecipe } from '../recipe/index.js';
import {
  draftWatchTargets,
  mergeTargets,
  recipeOnlyTargets,
  watchTargets,
  type WatchTargets,
} from '../recipe/watch-targets.js';
import type { Recipe } from '../recipe/types.js';
import { sourceFiles } from '../recipe/source-files.js';
import { isKontextError, problemLines, RecipeError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import { resolveCacheDir } from '../store/index.js';
import { openRunContext, type RunContext } from '../run/context.js';
import { guardListener, type GuardedListener } from '../run/event-listener.js';
import { stampWarnings } from '../run/event-clock.js';
import type { RunEvent } from '../run/events.js';
import { LockWriter } from '../run/lock-writer.js';
import { mergeStopFiles } from '../run/lock-merge-stop.js';
import { type Prepared, startCounts } from '../run/prepare.js';
import { eventReason } from '../run/event-reason.js';
import { lockPathFor, runTargetFor, type RunRecipeOptions } from '../run/run-recipe.js';
import { checkDeps, checkRunOptions } from '../run/option-checks.js';
import { lateCostLimit } from '../run/cost-limit.js';
import { checkCiFlags } from '../run/frozen.js';
import { writeGuardFor } from '../run/write-guard-for.js';
import { executePlan, type RunSummary } from '../run/scheduler.js';
import { SpendLedger } from '../run/spend.js';
import { EndSummaries } from './end-summaries.js';
import { lockedWrites, type PlannedWrites, type WrittenFiles } from './output-watcher.js';
import { InflightRegistry } from './inflight.js';
import { PartialSources, SETTLE_MS } from './partial-sources.js';
import { fileStamp } from './survey-roots.js';
import { WatchPrefetches } from './watch-prefetch.js';
import { WriteGate } from './write-gate.js';
import { type CycleRun, planCycle, type SessionSeed } from './cycle-plan.js';
import { gitSettled, indexLockOf } from './git-settled.js';
import { LockSeen } from './lock-seen.js';
import { CutRecipes } from './cut-recipe.js';
import { ResumeHold } from './resume-hold.js';
import { fileAsOpened } from '../util/real-path.js';
import type { CycleHooks, CycleResult } from './cycle-result.js';

export interface WatchDeps {
  readonly rt: Runtime;
  readonly onEvent: (event: RunEvent) => void;
  /** Provider sessions shared with other watch sessions (the caller closes them); otherwise its own. */
  readonly sessions?: SessionPool | undefined;
}

interface CurrentRun {
  readonly stop: AbortController;
  readonly lock: LockWriter;
  readonly done: Promise<RunSummary>;
  /** Once superseded, the run's events (skips, its summary) are noise: only warnings pass. */
  mute(): void;
}

export class WatchSession {
  readonly #inflight = new InflightRegistry();
  readonly #writes = new WriteGate();
  readonly #partial = new PartialSources();
  readonly #cut = new CutRecipes(); // a recipe text cut mid-line (cut-recipe.ts)
  /** Submits held for a moment after the process was frozen, until the watcher has looked (resume-hold.ts). */
  readonly resume: ResumeHold;
  /** Uploads of local sources ahead of the -j slots, per cycle (see watch-prefetch.ts). */
  readonly #prefetches = new WatchPrefetches();
  readonly #spend = new SpendLedger(); // every cycle's requests: each summary's session total
  /** The lock as this session last planned from or wrote it: changed from outside, a change (lock-seen.ts). */
  readonly lock = new LockSeen();
  readonly #context: RunContext;
  /** Seeds this session chose, with the lock's then: in-flight keys kept, unless the lock changed (`seedsKept`). */
  #seeds = new Map<string, SessionSeed>();
  readonly #runs = new Set<Promise<RunSummary>>();
  readonly #summaries = new EndSummaries(() => this.#closed || this.options.signal?.aborted === true);
  #current: CurrentRun | null = null;
  #recipe: Recipe | null = null;
  /** What the latest recipe text names while it does not load (missing sources among them). */
  #draft: WatchTargets | null = null;
  #latestFailed = false;
  /** The files the latest good load used (the recipe, its local sources) as they were then. */
  #seen: ReadonlyMap<string, string> = new Map();
  /** The latest planned cycle's plan and lock: what its runs wrote ({@link written}). */
  #planned: PlannedWrites | null = null;
  #started = 0;
  #closed = false;
  /**
   * The current cycle's guard on the caller's listener: every event the session sends goes through
   * one, its warnings and notices stamped with that cycle's run clock (each cycle its own: one said
   * before the cycle's run starts is t 0, not ms since an earlier cycle's run).
   */
  #listener: GuardedListener;

  /**
   * The options as given, with `jobs` defaulted (option-checks.ts) and the cost limit as the
   * cycles apply it: `maxCostUsd` left out is read from the environment or the user config before
   * the first cycle plans ({@link #costLimit}), `null` is none.
   */
  readonly options: Omit<RunRecipeOptions, 'maxCostUsd'> & {
    readonly jobs: number;
    readonly maxCostUsd?: number | undefined;
  };
  /** KONTEXT_MAX_COST or the user config's max_cost, for a caller that left `maxCostUsd` out (walk-am 1). */
  readonly #costLimit: Promise<void>;

  constructor(
    readonly path: string,
    options: RunRecipeOptions,
    readonly deps: WatchDeps,
  ) {
    // A bad number or selection is a usage error now, not a TypeError in a cycle.
    const given = checkRunOptions(options);
    checkDeps(deps);
    const limited = lateCostLimit(given, deps.rt);
    this.options = limited.options;
    this.#costLimit = limited.read;
    // `frozen` and `shard` are one-shot (CI) options: refused as `run --watch` refuses them, never ignored.
    checkCiFlags(options, { watch: true });
    this.#listener = this.#newListener();
    this.resume = new ResumeHold(deps.rt);
    // The context's own warnings (cache dir, provider, remote cache) go through the cycle's guard too.
    this.#context = openRunContext({ ...deps, onEvent: (e) => this.#emit(e) }, this.options);
  }

  /**
   * What to watch: the last good recipe's targets (the recipe file alone before the first),
   * and while the latest text does not load, what it names too: a source that does not exist
   * yet starts a cycle when it appears.
   */
  targets(): WatchTargets {
    const recipe = this.#recipe;
    const good = recipe
      ? watchTargets(recipe, {
          // Where it is, not whether it may be: a misplaced cache dir fails the cycle, not this.
          cacheDir: resolveCacheDir({ flag: this.options.cacheDir, env: this.deps.rt.env, cwd: this.deps.rt.cwd }),
          lockPath: lockPathFor(recipe),
        })
      : recipeOnlyTargets(this.#absolute(this.path));
    return mergeTargets(good, this.#draft, this.#latestFailed);
  }

  /**
   * The files the latest good load used (the recipe, its local sources no watcher covered), each
   * as {@link fileStamp} saw it then: a newly watched folder's file that differs now changed
   * while the cycle planned.
   */
  get seen(): ReadonlyMap<string, string> {
    return this.#seen;
  }

  get recipe(): Recipe | null {
    return this.#recipe;
  }

  /**
   * The files the lock names for the latest plan's nodes (outputs and `save:` copies): what the
   * watcher restores when they go (output-watcher.ts). None before a plan, or with a lock it cannot read.
   * `reread`: the lock on disk now (after a run), else the one the plan was made from.
   */
  async written(reread = true): Promise<WrittenFiles | null> {
    return this.#planned === null ? null : lockedWrites(this.#planned, reread);
  }

  /**
   * Whether the lock is not as this session last planned from or wrote it (lock-seen.ts), once the
   * current run's lock update under way is over: its rename is told before the file is signed.
   */
  async lockChangedOutside(lockPath: string): Promise<boolean> {
    await this.#current?.lock.idle();
    return this.lock.changedOutside(lockPath);
  }

  /** A guard on the caller's listener with a clock of its own (run/event-clock.ts): one per cycle. */
  #newListener(): GuardedListener {
    return guardListener(stampWarnings(this.deps.onEvent, () => this.deps.rt.monotonic()));
  }

  /** Reload, re-plan and start a run of what changed. `changed`: the paths that triggered it. */
  async cycle(changed: readonly string[], hooks: CycleHooks = {}): Promise<CycleResult> {
    if (this.#closed) return { kind: 'stopped', problems: ['watch session closed'] };
    const listener = this.#newListener();
    this.#listener = listener;
    const result = await this.#cycle(changed, hooks);
    const error = listener.error('watching went on: the cycle did what it would have done');
    return result.kind === 'started' || error === null ? result : { ...result, listenerError: error };
  }

  async #cycle(changed: readonly string[], hooks: CycleHooks): Promise<CycleResult> {
    const { rt } = this.deps;
    await gitSettled(indexLockOf(this.path, rt.cwd), (ms) => rt.sleep(ms), rt.now); // git writing the tree
    const loaded = await this.#load(hooks.watched ?? (() => false), changed);
    if ('invalid' in loaded) return loaded.invalid;
    const { recipe } = loaded;
    const check = { previous: this.#recipe, recipe, changed, seen: this.#seen };
    const waiting = this.#waitFor(await this.#partial.verdict(check, this.deps.rt.cwd));
    if (waiting) return waiting;
    this.#recipe = recipe;
    try {
      const { prepared, run } = await this.#prepare(recipe);
      await hooks.beforeStart?.();
      return this.#start(prepared, run, changed);
    } catch (e) {
      // The recipe is valid and now the session's: the cycle stopped (not an invalid recipe).
      return this.#failed(e, 'stopped');
    }
  }

  /** The recipe, or the cycle's result when it does not load (what its text names is then watched). */
  async #load(
    watched: (file: string) => boolean,
    changed: readonly string[],
  ): Promise<{ readonly recipe: Recipe } | { readonly invalid: CycleResult }> {
    let read: { readonly file: string; readonly text: string } | null = null;
    try {
      const before = await fileStamp(this.#absolute(this.path)); // before the read: a save after it shows
      read = await readRecipeText(this.path, this.deps.rt);
      const cut = this.#cut.wait(read.text, this.deps.rt.monotonic()); // saved in pieces: the rest awaited
      if (cut > 0) return { invalid: { kind: 'waiting', paths: [read.file], retryMs: Math.ceil(cut) } };
      const result = await validateRecipe(read.text, {
        displayPath: this.path,
        file: read.file,
        rt: this.deps.rt,
        strict: this.options.strict ?? false,
        allowOutsideRoot: this.options.allowOutsideRoot ?? false,
      });
      if (result.recipe === null) throw new RecipeError(result.problems);
      this.#draft = null;
      this.#latestFailed = false;
      // The sources as listed, before the plan hashes them: a later save shows as a new stamp.
      // Only those no watcher covers yet (a stat each: thousands would cost every cycle).
      const sources = sourceFiles(result.recipe.sources).filter((p) => !watched(p));
      const stamps = await Promise.all(sources.map(async (p) => [p, await fileStamp(p)] as const));
      this.#seen = new Map([[read.file, before], ...stamps]);
      return { recipe: result.recipe };
    } catch (e) {
      // A source refused as no image while it holds next to nothing: mid-save, waited for.
      const short = this.#waitFor(await this.#partial.tooShort(e, changed, this.deps.rt.cwd));
      if (short) return { invalid: short };
      this.#draft = read ? draftWatchTargets(read.file, read.text) : null;
      this.#latestFailed = true;
      return { invalid: await this.#failed(e, 'invalid') };
    }
  }

  /** Sources still being written (partial-sources.ts): the cycle waits for them, and the last plan stays. */
  #waitFor({ warnings, waiting }: { warnings: string[]; waiting: string[] }): CycleResult | null {
    for (const w of warnings) this.#warn(w);
    return waiting.length === 0 ? null : { kind: 'waiting', paths: waiting, retryMs: SETTLE_MS };
  }

  /** Wait for the current cycle's run (if any) to finish. */
  async idle(): Promise<void> {
    await this.#current?.done.catch(() => undefined);
  }

  /**
   * Stop watching: the current run stops softly; waits for every run (superseded ones too), then
   * for the uploads; the summary of a run that ended as watching ended comes last (end-summaries.ts).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.resume.close();
    this.#current?.stop.abort();
    while (this.#runs.size > 0) await Promise.allSettled([...this.#runs]);
    await this.#prefetches.close();
    await this.#context.close().finally(() => this.#summaries.flush());
  }

  #absolute(path: string): string {
    return fileAsOpened(this.deps.rt.cwd, path);
  }

  async #prepare(recipe: Recipe): Promise<{ prepared: Prepared; run: CycleRun }> {
    await this.#costLimit; // a KONTEXT_MAX_COST that is no amount stops the cycle, as it stops `kontext run`
    const scope = await this.#context.scope(runTargetFor(recipe));
    await scope.uploads?.resume();
    const lockPath = lockPathFor(recipe);
    const writeGuard = await writeGuardFor(recipe, {
      lockPath,
      cacheDir: scope.store.root,
      allowOutsideRoot: this.options.allowOutsideRoot ?? false,
    });
    const run: CycleRun = { scope, lockPath, writeGuard, flying: new Set(this.#inflight.keys()) };
    // The old plan is superseded: it starts nothing new and writes nothing more. Its writes
    // already under way land before the lock is read, so the new plan sees them.
    this.#current?.mute();
    this.#current?.stop.abort();
    this.#prefetches.pause();
    await this.#writes.settled();
    await this.#current?.lock.flush().catch((e: unknown) => this.#warn(`lock: ${(e as Error).message}`));
    const prepared = await planCycle(recipe, run, {
      options: this.#started === 0 ? this.options : { ...this.options, force: undefined, reseed: undefined },
      sessionSeeds: this.#seeds,
      rt: this.deps.rt,
      emit: this.#emit,
      lockSeen: this.lock,
      onPlanned: ({ plan, lock }) => {
        this.#planned = { plan, lockPath: run.lockPath, lock };
      },
    });
    return { prepared, run };
  }

  #start(prepared: Prepared, run: CycleRun, changed: readonly string[]): CycleResult {
    const states = [...prepared.states.values()];
    const wanted = new Set(states.flatMap((s) => (s.key === null ? [] : [s.key])));
    const abandoned = this.#inflight.abandonExcept(wanted).length;
    const toRun = states.filter((s) => s.status === 'run' && prepared.stopped?.has(s.node.id) !== true);
    const { cached, stopped } = startCounts(prepared);
    const inFlight = toRun.filter((s) => s.key !== null && run.flying.has(s.key));
    const locked = this.#planned?.lock.nodes ?? {};
    this.#seeds = new Map(
      states.flatMap((s) =>
        s.seedSource === 'recipe' ? [] : [[s.node.id, { seed: s.seed, lockSeed: locked[s.node.id]?.seed }] as const],
      ),
    );
    this.#emit({
      type: 'watch-cycle',
      t: 0,
      recipe: prepared.plan.recipe.file,
      changed: [...changed],
      to_run: toRun.filter((s) => !inFlight.includes(s)).map((s) => ({ node: s.node.id, ...eventReason(s) })),
      in_flight: inFlight.length,
      cached,
      stopped,
      abandoned,
    });
    const stop = new AbortController();
    const { rt } = this.deps;
    const { update } = this.lock; // its writes are the session's own (lock-seen.ts)
    const lock = new LockWriter(run.lockPath, { pid: rt.pid, isAlive: (pid) => rt.isAlive(pid), onUpdate: update });
    const { scope } = run;
    let muted = false;
    // Uploads start now, in the background, instead of inside each node's -j slot.
    this.#prefetches.handOver(prepared, scope.hosting);
    const ahead = this.#prefetches.start(scope.prefetch(prepared), scope.hosting);
    // The caller's listener only observes (run/event-listener.ts): a throw, from the cycle's
    // planning on, fails the cycle's `done` after its run.
    const listener = this.#listener;
    const onEvent = (e: RunEvent): void => {
      if (!muted) ahead.prefetch.observe(e);
      if (!muted || e.type === 'warning') listener.onEvent(e);
    };
    const shared = { inflight: this.#inflight, writes: this.#writes, spend: this.#spend, submitGate: this.resume.gate };
    const coordination = { stop: stop.signal, lockWriter: lock, ...shared };
    const done = executePlan(
      prepared,
      scope.runDeps({ lockPath: run.lockPath, onEvent, coordination, writeGuard: run.writeGuard }),
      this.options,
    )
      .then((finished) => this.#summaries.announce(finished))
      .then(listener.unlessFailed)
      .finally(() => {
        // Superseded: the next cycle decided which of its uploads go on.
        if (!muted) this.#prefetches.finish();
        return scope.store.flush();
      });
    scope.hold(done);
    scope.hold(ahead.settled);
    this.#runs.add(done);
    this.resume.during(done);
    void done.catch(() => undefined).finally(() => this.#runs.delete(done));
    this.#current = { stop, lock, done, mute: () => (muted = true) };
    this.#started++;
    return { kind: 'started', toRun: toRun.length - inFlight.length, inFlight: inFlight.length, abandoned, done };
  }

  async #failed(e: unknown, kind: 'invalid' | 'stopped'): Promise<CycleResult> {
    if (!isKontextError(e)) throw e;
    const problems = problemLines(e);
    const recipe = this.#recipe?.file ?? this.#absolute(this.path);
    const retryOn = mergeStopFiles(e);
    // Stamped before the stop is told: a file checked out as it says, before the watcher of it is
    // live, shows as a new stamp then (recipe-watcher.ts), not as no change at all.
    const stamps = await Promise.all(retryOn.map(async (p) => [p, await fileStamp(p)] as const));
    this.#emit({ type: 'watch-error', t: 0, recipe, kind, problems });
    return retryOn.length === 0 ? { kind, problems } : { kind, problems, retryOn, retryStamps: new Map(stamps) };
  }

  #warn(message: string): void {
    this.#emit({ type: 'warning', t: 0, message });
  }

  /** To the caller's listener, through the cycle's guard: a throw never breaks the cycle. */
  readonly #emit = (event: RunEvent): void => this.#listener.onEvent(event);
}
