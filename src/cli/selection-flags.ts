/**
 * `--only`, `--force`, `--reseed` from commander's collected values (see `collectSelection`)
 * to run options, taking recipe files given to them back (`kontext run --force catalog.yml`).
 * A flag takes one value: `--force background scarf` leaves `scarf` a recipe argument, refused
 * (exit 64) before any recipe runs when it names no file and reads as a node pattern.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError, type RunRecipeOptions } from '../index.js';
import { selectionOption } from './selection-values.js';

export function selectionsFrom(
  opts: Record<string, unknown>,
  recipes: string[],
  cwd: string,
): Pick<RunRecipeOptions, 'only' | 'force' | 'reseed'> {
  const isFile = (p: string): boolean => statSync(path.resolve(cwd, p), { throwIfNoEntry: false })?.isFile() === true;
  const given = ['only', 'force', 'reseed'].filter((flag) => opts[flag] !== undefined);
  if (given.length > 0) refusePatternsAsRecipes(recipes, given, cwd);
  const only = selectionOption(opts['only'], recipes, isFile);
  if (only === 'all') {
    throw new UsageError('--only needs a node pattern, not only a recipe', {
      hint: 'kontext run <recipe.yml> --only <pass>[@<instance>][#<variant>]',
    });
  }
  return {
    only,
    force: selectionOption(opts['force'], recipes, isFile),
    reseed: selectionOption(opts['reseed'], recipes, isFile),
  };
}

/**
 * A positional argument that names nothing on disk and reads as a node pattern (no dot and no path
 * separator, as a pass id; or holding `@`, `#` or `*`, as `bag@shoe.v2` or `*@shoe.v2`, whose
 * instance names may hold dots) was meant for a selection flag; run as a recipe it would fail only
 * after the recipes before it had run, and maybe paid.
 */
function refusePatternsAsRecipes(recipes: readonly string[], flags: readonly string[], cwd: string): void {
  const pattern = (r: string): boolean => !/[./\\]/.test(r) || /[@#*]/.test(r);
  const stray = recipes.find(
    (r) => pattern(r) && statSync(path.resolve(cwd, r), { throwIfNoEntry: false }) === undefined,
  );
  if (stray === undefined) return;
  // Which flag it followed is not known (commander gives each flag's values, not their order).
  const named = flags.map((f) => `--${f}`).join(', ');
  throw new UsageError(`"${stray}" names no recipe file, and ${named} take${flags.length === 1 ? 's' : ''} one value`, {
    hint:
      `for several nodes repeat the flag before each (--force a --force ${stray}) ` +
      `or give a comma list (--force a,${stray}); nothing was run`,
  });
}
