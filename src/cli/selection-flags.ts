/**
 * `--only`, `--force`, `--reseed` from commander's collected values (see `collectSelection`)
 * to run options, taking recipe files given to them back (`kontext run --force catalog.yml`).
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
