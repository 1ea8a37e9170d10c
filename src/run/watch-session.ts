/**
 * Watch mode's engine (no file watching here: `src/cli/watch` feeds it changes). Each cycle
 * reloads and validates the recipe (an invalid one keeps the last good plan in force),
 * re-plans, abandons in-flight requests the new plan no longer wants (cancelled while queued;
 * left to finish into the cache once running), and starts a run in which everything already
 * done is a cache hit and everything still in flight is awaited rather than resubmitted.
 */
import { buildPlan } from '../plan/index.js';
import type { SessionPool } from '../providers/session-pool.js';
import { loadRecipe, loadUserConfig, watchTargets, type WatchTargets } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import { formatProblem, isKontextError, RecipeError, type Problem } from '../errors.js';
import { createHosting, type Hosting } from '../hosting/index.js';
import { openStore, readLock } from '../store/index.js';
import { InflightRegistry } from './inflight.js';
import { prepareRun } from './prepare.js';
import { cacheDirFor, chooseHosting, lockPathFor, type RunRecipeDeps, type RunRecipeOptions } from './run-recipe.js';
import { executePlan, type RunSummary } from './scheduler.js';

export type CycleResult =
  | { readonly kind: 'invalid'; readonly problems: readonly Problem[] }
  | { readonly kind: 'started'; readonly toRun: number; readonly abandoned: number; readonly done: Promise<RunSummary> };

export class WatchSession {
  readonly #inflight = new InflightRegistry();
  #stop = new AbortController();
  #running: Promise<RunSummary> | null = null;
  #recipe: Recipe | null = null;
  #hosting: Hosting | null = null;

  constructor(
    readonly path: string,
    readonly options: RunRecipeOptions,
    readonly deps: Omit<RunRecipeDeps, 'session'> & { readonly sessions: SessionPool },
  ) {}

  /** What to watch: from the last good recipe (the recipe file alone before the first). */
  targets(): WatchTargets | null {
    return this.#recipe ? watchTargets(this.#recipe) : null;
  }

  get recipe(): Recipe | null {
    return this.#recipe;
  }

  /** Reload, re-plan and start a run of what changed. `changed`: the paths that triggered it. */
  async cycle(changed: readonly string[]): Promise<CycleResult> {
    const { rt } = this.deps;
    let recipe: Recipe;
    try {
      recipe = await loadRecipe(this.path, { rt, strict: this.options.strict ?? false, allowOutsideRoot: this.options.allowOutsideRoot ?? false });
    } catch (e) {
      if (!isKontextError(e)) throw e;
      const problems = e instanceof RecipeError ? e.problems : [{ code: e.code, severity: 'error' as const, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }];
      this.deps.onEvent({ type: 'watch-error', t: 0, recipe: this.path, problems: problems.map((p) => formatProblem(p)) });
      return { kind: 'invalid', problems };
    }
    this.#recipe = recipe;
    const providerName = this.options.provider ?? recipe.provider;
    const session = await this.deps.sessions.get(providerName);
    const store = await openStore(cacheDirFor(recipe, this.options.cacheDir, rt));
    const lockPath = lockPathFor(recipe);
    const prepared = await prepareRun(buildPlan(recipe), { store, providerName, lock: await readLock(lockPath), draw: rt.randomSeed }, this.options);
    const wanted = new Set([...prepared.states.values()].flatMap((s) => (s.key === null ? [] : [s.key])));
    this.#stop.abort();
    const abandoned = this.#inflight.abandonExcept(wanted).length;
    this.#stop = new AbortController();
    const toRun = [...prepared.states.values()].filter((s) => s.status === 'run');
    this.deps.onEvent({
      type: 'watch-cycle',
      t: 0,
      recipe: this.path,
      changed: [...changed],
      to_run: toRun.map((s) => ({ node: s.node.id, reason: s.reason ?? 'not-cached' })),
      cached: prepared.nodes.length - toRun.length,
      abandoned,
    });
    await this.#hosting?.close?.();
    const config = chooseHosting(recipe.hosting, this.options.hosting, await loadUserConfig(rt), providerName);
    this.#hosting = config ? createHosting(config, { rt, cacheDir: store.root, projectRoot: recipe.projectRoot }) : null;
    const done = executePlan(
      prepared,
      { rt, provider: session.provider, providerName, store, hosting: this.#hosting, lockPath, onEvent: this.deps.onEvent, pid: this.deps.pid, isAlive: this.deps.isAlive, inflight: this.#inflight },
      { ...this.options, stopSignal: this.#stop.signal },
    ).finally(() => store.flush());
    this.#running = done;
    return { kind: 'started', toRun: toRun.length, abandoned, done };
  }

  /** Wait for the current cycle's run (if any) to finish. */
  async idle(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#stop.abort();
    await this.idle();
    await this.#hosting?.close?.();
  }
}

