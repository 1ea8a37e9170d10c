/**
 * One recipe, start to finish, as `kontext run` does it: load, plan, open the store and the
 * lock, resolve states, then either describe (`--dry-run`) or execute. The programmatic API
 * and the CLI both call this.
 */
import { basename, extname, join, resolve } from 'node:path';
import { createHosting } from '../hosting/index.js';
import { buildPlan } from '../plan/index.js';
import { lazySession } from '../providers/lazy.js';
import { openProviderSession, type ProviderSession } from '../providers/session.js';
import { loadRecipe, loadUserConfig, type UserConfig } from '../recipe/index.js';
import type { HostingConfig, ProviderName, Recipe } from '../recipe/types.js';
import type { Runtime } from '../runtime.js';
import { openStore, readLock } from '../store/index.js';
import { type KontextError, UsageError } from '../errors.js';
import type { RunEvent } from './events.js';
import { describeRun, type DryRunReport } from './dry-run.js';
import type { RunOptions } from './options.js';
import { prepareRun } from './prepare.js';
import { executePlan, type RunSummary } from './scheduler.js';
import { preflight } from './hosting-check.js';
import { prefetchInputs } from './prefetch.js';
import { writeGuardFor } from './write-guard-for.js';
import { emitWarnings } from './lint-warnings.js';
import { previewRun } from './preview.js';

export interface RunRecipeOptions extends RunOptions {
  readonly provider?: ProviderName | undefined;
  readonly hosting?: HostingConfig['mode'] | undefined;
  readonly cacheDir?: string | undefined;
  readonly strict?: boolean | undefined;
  readonly allowOutsideRoot?: boolean | undefined;
  /** @deprecated the old name of `trustRecipeHosting` (`--trust-hosting-command`); still honoured. */
  readonly trustHostingCommand?: boolean | undefined;
  /** Use the recipe's own hosting destination (command, S3 bucket/endpoint) (`--trust-recipe-hosting`). */
  readonly trustRecipeHosting?: boolean | undefined;
  /** Before running, emit a `node-plan` event per node that will run: why, and how its input reaches the API. */
  readonly explain?: boolean | undefined;
}

export interface RunRecipeDeps {
  readonly rt: Runtime;
  readonly onEvent: (event: RunEvent) => void;
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
  /** Reuse an open provider session (watch mode); otherwise one is opened and closed here. */
  readonly session?: ProviderSession | undefined;
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
  emitWarnings(recipe.warnings, deps.onEvent); // lint before money: before any request
  const plan = buildPlan(recipe);
  const store = await openStore(cacheDirFor(recipe, options.cacheDir, rt), {
    onWarning: (message) => deps.onEvent({ type: 'warning', t: 0, message }), // a damaged cached output was dropped
  });
  const lockPath = lockPathFor(recipe);
  const providerName = options.provider ?? recipe.provider;
  const prepared = await prepareRun(
    plan,
    { store, providerName, lock: await readLock(lockPath), draw: rt.randomSeed },
    options,
  );
  const userConfig = await loadUserConfig(rt);
  const hostingConfig = chooseHosting(recipe.hosting, options.hosting, userConfig, providerName);
  const hosting = hostingConfig
    ? createHosting(hostingConfig, { rt, cacheDir: store.root, projectRoot: recipe.projectRoot })
    : null;
  try {
    const describe = { store, hosting, now: rt.now, providerName };
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
    const { session: shared } = deps;
    const session = lazySession(providerName, async () => {
      const opened = shared ?? (await openProviderSession(providerName, rt, { deadlineMs: options.deadlineMs }));
      for (const w of opened.warnings) deps.onEvent({ type: 'warning', t: 0, message: w });
      return opened;
    });
    try {
      const checks = (): Promise<void> =>
        preflight(prepared, {
          ...options,
          hosting,
          hostingConfig,
          user: userConfig,
          session,
          recipeFile: basename(recipe.file),
        });
      if (options.dryRun) {
        const preview = { preflight: checks, provider: session.provider, signal: options.signal };
        return { kind: 'dry-run', recipe, ...(await previewRun(prepared, describe, preview)) };
      }
      await checks();
      // Uploads start now, in the background, instead of inside each node's -j slot.
      const prefetch = prefetchInputs(prepared, {
        hosting,
        config: hostingConfig,
        store,
        concurrency: options.jobs,
        signal: options.signal,
        keepGoing: options.keepGoing,
      });
      const onEvent = (e: RunEvent): void => {
        prefetch.observe(e);
        deps.onEvent(e);
      };
      try {
        const summary = await executePlan(
          prepared,
          {
            rt,
            provider: session.provider,
            providerName,
            store,
            hosting,
            lockPath,
            writeGuard: await writeGuardFor(recipe, {
              lockPath,
              cacheDir: store.root,
              allowOutsideRoot: options.allowOutsideRoot ?? false,
            }),
            onEvent,
            pid: deps.pid,
            isAlive: deps.isAlive,
          },
          options,
        );
        return { kind: 'run', recipe, summary };
      } finally {
        await prefetch.stop();
      }
    } finally {
      if (!shared) await session.close();
    }
  } finally {
    await hosting?.close?.();
    await store.flush();
  }
}

/** `--cache-dir`, else `KONTEXT_CACHE_DIR`, else `.kontext` at the project root. */
export function cacheDirFor(recipe: Recipe, flag: string | undefined, rt: Runtime): string {
  const chosen = flag ?? rt.env['KONTEXT_CACHE_DIR'];
  return chosen ? resolve(rt.cwd, chosen) : join(recipe.projectRoot, '.kontext');
}

/** `<recipe-stem>.lock.json` beside the recipe. */
export function lockPathFor(recipe: Recipe): string {
  return join(recipe.dir, `${basename(recipe.file, extname(recipe.file))}.lock.json`);
}

/**
 * Which hosting a run uses: `--hosting` picks a mode (its settings from the recipe, else the
 * user config); otherwise the recipe's block; otherwise inline for the emulator, else the
 * user config's default; otherwise none (a local source with RunComfy then fails early).
 */
export function chooseHosting(
  recipeHosting: HostingConfig | undefined,
  flag: HostingConfig['mode'] | undefined,
  user: UserConfig,
  provider: ProviderName,
): HostingConfig | null {
  if (flag === 'inline') return { mode: 'inline' };
  if (flag !== undefined) {
    if (recipeHosting?.mode === flag) return recipeHosting;
    if (user.hosting?.mode === flag) return user.hosting;
    throw new UsageError(
      `--hosting ${flag}: no \`hosting: { mode: ${flag}, ... }\` settings in the recipe or the user config`,
      {
        hint: 'add the block to the recipe or to ~/.config/kontext/config.json (see README "Hosting your images"), or use --hosting inline',
      },
    );
  }
  return recipeHosting ?? (provider === 'emulator' ? { mode: 'inline' } : (user.hosting ?? null));
}
