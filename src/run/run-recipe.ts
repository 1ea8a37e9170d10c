/**
 * One recipe, start to finish, as `kontext run` does it: load, plan, open the run context
 * (store, hosting, provider session on first use), read the lock, resolve states, then either
 * describe (`--dry-run`) or check (preflight) and execute. The programmatic API and the CLI
 * both call this.
 */
import { basename, extname, join } from 'node:path';
import { buildPlan } from '../plan/index.js';
import type { ProviderSession } from '../providers/session.js';
import { loadRecipe } from '../recipe/index.js';
import type { Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { readLock } from '../store/index.js';
import { withRunContext, type RunContextOptions, type RunTarget } from './context.js';
import type { RunEvent } from './events.js';
import { describeRun, type DryRunReport } from './dry-run.js';
import type { RunOptions } from './options.js';
import { prepareRun } from './prepare.js';
import { executePlan, type RunSummary } from './scheduler.js';
import { writeGuardFor } from './write-guard-for.js';

export interface RunRecipeOptions extends RunOptions, RunContextOptions {
  readonly jobs: number;
  readonly strict?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** Before running, emit a `node-plan` event per node that will run: why, and how its input reaches the API. */
  readonly explain?: boolean | undefined;
}

export interface RunRecipeDeps {
  readonly rt: Runtime;
  readonly onEvent: (event: RunEvent) => void;
  /** Reuse an open provider session; otherwise one is opened (when there is work) and closed here. */
  readonly session?: ProviderSession | undefined;
}

export type RunRecipeResult =
  | { readonly kind: 'run'; readonly recipe: Recipe; readonly summary: RunSummary }
  | { readonly kind: 'dry-run'; readonly recipe: Recipe; readonly report: DryRunReport };

export async function runRecipe(
  path: string,
  options: RunRecipeOptions,
  deps: RunRecipeDeps,
): Promise<RunRecipeResult> {
  const { rt } = deps;
  const recipe = await loadRecipe(path, {
    rt,
    strict: options.strict ?? false,
    allowOutsideRoot: options.allowOutsideRoot ?? false,
  });
  const plan = buildPlan(recipe);
  return withRunContext(deps, options, async (context) => {
    const run = await context.scope(runTargetFor(recipe));
    const lockPath = lockPathFor(recipe);
    const prepared = await prepareRun(
      plan,
      { store: run.store, providerName: run.providerName, lock: await readLock(lockPath), draw: rt.randomSeed },
      options,
    );
    const describe = { store: run.store, hosting: run.hosting, now: rt.now, providerName: run.providerName };
    if (options.dryRun) return { kind: 'dry-run', recipe, report: await describeRun(prepared, describe) };
    if (options.explain) {
      for (const row of (await describeRun(prepared, describe)).rows) {
        if (row.status === 'run')
          deps.onEvent({
            type: 'node-plan',
            t: 0,
            node: row.node,
            reason: row.reason ?? 'not-cached',
            input: row.input ?? '',
          });
      }
    }
    await run.preflight(prepared);
    // Uploads start now, in the background, instead of inside each node's -j slot.
    const prefetch = run.prefetch(prepared);
    const onEvent = (e: RunEvent): void => {
      prefetch.observe(e);
      deps.onEvent(e);
    };
    try {
      const writeGuard = await writeGuardFor(recipe, {
        lockPath,
        cacheDir: run.store.root,
        allowOutsideRoot: options.allowOutsideRoot ?? false,
      });
      const summary = await executePlan(prepared, run.runDeps({ lockPath, onEvent, writeGuard }), options);
      return { kind: 'run', recipe, summary };
    } finally {
      await prefetch.stop();
    }
  });
}

/** What the run context needs to know about a recipe. */
export function runTargetFor(recipe: Recipe): RunTarget {
  return {
    provider: recipe.provider,
    projectRoot: recipe.projectRoot,
    hosting: recipe.hosting,
    recipeFile: basename(recipe.file),
  };
}

/** `<recipe-stem>.lock.json` beside the recipe. */
export function lockPathFor(recipe: Recipe): string {
  return join(recipe.dir, `${basename(recipe.file, extname(recipe.file))}.lock.json`);
}
