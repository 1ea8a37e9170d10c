/**
 * `--only`, `--force`, `--reseed` from commander's collected values (see `collectSelection`)
 * to run options, taking recipe files given to them back (`kontext run --force catalog.yml`).
 * A flag takes one value: `--force background scarf` leaves `scarf` a recipe argument, refused
 * (exit 64) before any recipe runs when it names no file and reads as a node pattern.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { escapeName, UsageError, type RunRecipeOptions } from '../index.js';
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
 * A positional argument that names nothing on disk and reads as a node pattern was meant for a
 * selection flag; run as a recipe it would fail only after the recipes before it had run, and maybe
 * paid. A node pattern here: no path separator and no `.yml`/`.yaml` ending (those are paths: a
 * missing one stays "recipe not found", exit 66), and either no dot (a pass id) or an `@`, `#` or
 * `*` (`bag@shoe.v2`: an instance name may hold a dot).
 */
function refusePatternsAsRecipes(recipes: readonly string[], flags: readonly string[], cwd: string): void {
  const pattern = (r: string): boolean => !/[/\\]|\.ya?ml$/i.test(r) && (!r.includes('.') || /[@#*]/.test(r));
  const stray = recipes.find(
    (r) => pattern(r) && statSync(path.resolve(cwd, r), { throwIfNoEntry: false }) === undefined,
  );
  if (stray === undefined) return;
  const shown = escapeName(stray);
  // Which flag it followed is not known (commander gives each flag's values, not their order): the
  // example is each flag given, never one the user did not write (--force pays again).
  const named = flags.map((f) => `--${f}`);
  const flag = named.length === 1 ? (named[0] ?? '--only') : '--<flag>';
  throw new UsageError(
    `"${shown}" names no recipe file, and ${named.join(', ')} take${named.length === 1 ? 's' : ''} one value`,
    {
      hint:
        `for several nodes repeat the flag before each (${flag} a ${flag} ${shown}) ` +
        `or give a comma list (${flag} a,${shown}); nothing was run`,
    },
  );
}
