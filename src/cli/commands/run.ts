/** `kontext run <recipe...>`: flags → options, then the recipes one after another (run-recipes.ts), or watched. */
import type { RunRecipeOptions, HostingConfig, ProviderName } from '../../index.js';
import { UsageError, checkCiFlags, defaultCostLimit, parseShard } from '../../index.js';
import type { CliContext } from '../context.js';
import { intOption, numberOption } from '../options.js';
import { selectionsFrom } from '../selection-flags.js';
import { refuseRecipesNotFiles, runRecipes } from './run-recipes.js';

export async function runCommand(
  recipeArgs: readonly string[],
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  const recipes = [...recipeArgs];
  // `--force catalog.yml`: an existing .yml/.yaml file given to a selection flag is a recipe.
  const selections = selectionsFrom(opts, recipes, ctx.rt.cwd);
  if (recipes.length === 0) throw new UsageError('no recipe given', { hint: 'kontext run <recipe.yml...>' });
  const given = { ...runOptionsFrom(opts, ctx), ...selections };
  // Without --max-cost: KONTEXT_MAX_COST, else the user config's max_cost, is the limit.
  const limit =
    given.maxCostUsd === undefined && opts['maxCost'] !== false ? await defaultCostLimit(ctx.rt) : undefined;
  // Resolved here once for every recipe of the command: none is `null`, so runRecipe does not look again.
  const options =
    limit === undefined
      ? { ...given, maxCostUsd: given.maxCostUsd ?? null }
      : { ...given, maxCostUsd: limit.usd, maxCostFrom: limit.from };
  if (opts['serve'] === true && opts['watch'] !== true) throw new UsageError('--serve needs --watch');
  if (opts['port'] !== undefined && opts['serve'] !== true) throw new UsageError('--port needs --serve');
  // Each recipe's page is its own server: a fixed port fits one (the second would fail to listen
  // only after the first recipe's watch had started, and maybe paid for a run).
  if (opts['serve'] === true && recipes.length > 1 && opts['port'] !== undefined && Number(opts['port']) !== 0)
    throw new UsageError('--port serves one recipe; each recipe given needs its own page', {
      hint: 'leave --port out (or use --port 0): each page gets a free port, and its URL is printed',
    });
  checkCiFlags(options, { watch: opts['watch'] === true });
  // A recipe path that is no file stops them all before any runs (each one's other errors are its own).
  const refused = await refuseRecipesNotFiles(recipes, opts, ctx);
  if (refused !== null) return refused;
  if (opts['watch'] === true) {
    const { watchCommand } = await import('../watch/watch-command.js');
    return watchCommand(recipes, options, opts, ctx);
  }
  return runRecipes(recipes, options, opts, ctx);
}

export function runOptionsFrom(opts: Record<string, unknown>, ctx: CliContext): RunRecipeOptions {
  return {
    jobs: intOption('-j/--jobs', opts['jobs'], 1, 256) ?? 4,
    dryRun: opts['dryRun'] === true,
    keepGoing: opts['keepGoing'] === true,
    overwrite: opts['overwrite'] === true,
    resubmitUncertain: opts['resubmitUncertain'] === true,
    // `--no-max-cost`: false (no limit, not even the default one: see runCommand).
    maxCostUsd: opts['maxCost'] === false ? null : numberOption('--max-cost', opts['maxCost'], 0),
    signal: ctx.signal,
    provider: opts['provider'] as ProviderName | undefined,
    hosting: opts['hosting'] as HostingConfig['mode'] | undefined,
    cacheDir: typeof opts['cacheDir'] === 'string' ? opts['cacheDir'] : undefined,
    strict: opts['strict'] === true,
    explain: opts['explain'] === true,
    allowOutsideRoot: opts['allowOutsideRoot'] === true,
    trustRecipeHosting: opts['trustRecipeHosting'] === true || opts['trustHostingCommand'] === true,
    noRemote: opts['remote'] === false,
    shard: typeof opts['shard'] === 'string' ? parseShard(opts['shard']) : undefined,
    frozen: opts['frozen'] === true,
  };
}
