/**
 * The recipes of one `kontext run`, one after another. A recipe path that is no file stops them
 * all before any runs (`refuseRecipesNotFiles`). A recipe that stops with an error (no
 * token, `--max-cost`, invalid, …) prints it as any error is printed (render-error.ts), with
 * `--json` also a `run-error` line on stdout (a dry run's prediction of the real run's error:
 * its `dry-run` line stays the last), and the next recipe runs; the command exits with
 * the worst code; with several recipes, an error line naming no file of its own starts with its
 * recipe's path (`a.yml: --frozen: …`). Ctrl-C (130) stops the whole command at once. `--max-cost`
 * holds for the whole command: each recipe may spend what the recipes before it left (`maxCostSpentUsd`: what they
 * spent, or their dry run's price; unknown once a price is).
 */
import { resolve } from 'node:path';
import {
  ExitCode,
  isKontextError,
  problemLines,
  recipesNotFiles,
  redactSecrets,
  runRecipe,
  worstExitCode,
  type RunEvent,
  type RunEventOf,
  type RunRecipeOptions,
} from '../../index.js';
import type { CliContext } from '../context.js';
import { printDryRun } from '../dry-run-view.js';
import { renderError, secretsFromEnv } from '../render-error.js';
import { reporterFor } from '../reporter-for.js';

/** One recipe's end: its exit code, and what it spent under `--max-cost` (`null`: unknown). */
interface RecipeEnd {
  readonly exit: ExitCode;
  readonly spentUsd: number | null;
}

export async function runRecipes(
  recipes: readonly string[],
  options: RunRecipeOptions,
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<number> {
  let exit: ExitCode = ExitCode.OK as ExitCode;
  let spent: number | null = 0;
  for (const recipe of recipes) {
    const budget = options.maxCostUsd == null ? {} : { maxCostSpentUsd: spent };
    const end = await runOne(recipe, { ...options, ...budget }, { opts, ctx, several: recipes.length > 1 });
    exit = worstExitCode(exit, end.exit);
    spent = spent === null || end.spentUsd === null ? null : spent + end.spentUsd;
    if (ctx.signal.aborted || end.exit === ExitCode.INTERRUPTED) return ExitCode.INTERRUPTED;
  }
  return exit;
}

async function runOne(
  path: string,
  options: RunRecipeOptions,
  { opts, ctx, several }: { opts: Record<string, unknown>; ctx: CliContext; several: boolean },
): Promise<RecipeEnd> {
  const json = opts['json'] === true;
  const explain = opts['explain'] === true;
  const { reporter, onEvent } = reporterFor(ctx, { json, explain });
  let started = false; // a node began: an error now may come after money was spent
  const events = (e: RunEvent): void => {
    if (e.type === 'node-start') started = true;
    onEvent(e);
  };
  let end: RecipeEnd & { readonly error?: unknown };
  try {
    const result = await runRecipe(path, options, { rt: ctx.rt, onEvent: events });
    if (result.kind === 'run') return { exit: result.summary.exitCode, spentUsd: result.summary.costUsd };
    printDryRun(result.report, { out: ctx.rt.stdout, json, explain, stops: result.failure });
    // What the real run would pay: nothing when its preflight stops it (priced all the same).
    const spentUsd = result.failure || result.report.costUsd === undefined ? 0 : result.report.costUsd;
    // The real run would stop here: same message, same exit code (the `dry-run` line is the recipe's last).
    end = { exit: ExitCode.OK, spentUsd, ...(result.failure ? { error: result.failure } : {}) };
  } catch (e) {
    if (json) onEvent(runError(e, path, ctx));
    end = { exit: ExitCode.OK, spentUsd: started ? null : 0, error: e };
  } finally {
    reporter.close(); // the live view ends before the error is printed under it
  }
  if (!('error' in end)) return end;
  const rendered = renderError(end.error, {
    debug: ctx.flags.debug,
    secrets: secretsFromEnv(ctx.rt.env),
    cwd: ctx.rt.cwd,
    // One of several: a line naming no file says which recipe it is of (walk-ag 5).
    recipe: several ? path : undefined,
  });
  for (const line of rendered.lines) ctx.rt.stderr.write(`${line}\n`);
  return { exit: rendered.exitCode, spentUsd: end.spentUsd };
}

/**
 * Every recipe operand that is no file (missing, a folder, a FIFO) is said before any recipe runs,
 * each as a recipe's error is (a `run-error` line with `--json`): a typo, or an option given after
 * `--` (`run a.yml -- --shard 1/3`), must not let the recipes before it pay first (walk-ai 3). Its
 * exit code (66), or null when every operand is a file and the recipes may run.
 */
export async function refuseRecipesNotFiles(
  recipes: readonly string[],
  opts: Record<string, unknown>,
  ctx: CliContext,
): Promise<ExitCode | null> {
  const refused = await recipesNotFiles(recipes, ctx.rt);
  if (refused.length === 0) return null;
  const json = opts['json'] === true ? reporterFor(ctx, { json: true }) : null;
  let exit: ExitCode = ExitCode.OK as ExitCode;
  const say = (line: string): void => void ctx.rt.stderr.write(`${line}\n`);
  for (const { path, error } of refused) {
    json?.onEvent(runError(error, path, ctx));
    const rendered = renderError(error, {
      debug: ctx.flags.debug,
      secrets: secretsFromEnv(ctx.rt.env),
      cwd: ctx.rt.cwd,
    });
    for (const line of rendered.lines) say(line);
    exit = worstExitCode(exit, rendered.exitCode);
  }
  json?.reporter.close();
  // The recipes that are files wait too: say so, or a reader takes them for run.
  if (new Set(recipes).size > refused.length)
    say('kontext: no recipe was run: a recipe path that is not a file stops them all');
  return exit;
}

/** `--json`: a recipe's error as its `run-error` event (its stderr lines are printed as ever). */
function runError(error: unknown, path: string, ctx: CliContext): RunEventOf<'run-error'> {
  const secrets = secretsFromEnv(ctx.rt.env);
  const problems = isKontextError(error)
    ? problemLines(error)
    : [`internal error: ${error instanceof Error ? error.message : String(error)}`];
  return {
    type: 'run-error',
    t: 0,
    recipe: resolve(ctx.rt.cwd, path),
    code: isKontextError(error) ? error.code : 'E_INTERNAL',
    exit_code: isKontextError(error) ? error.exitCode : ExitCode.SOFTWARE,
    problems: problems.map((p) => redactSecrets(p, secrets)),
  };
}
