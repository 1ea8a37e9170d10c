/**
 * `kontext validate`'s warning for recipes whose outputs land on the same files (walk-ag 1): two
 * recipes given in one command, or a recipe and another recipe's lock in its project (beside it,
 * or in another folder naming the same `out:`). Each run would overwrite the other's results.
 * Warned, not refused: nothing is paid twice (each run copies its own result back from the
 * cache), and the run warns again once it wrote such a file (shared-outputs.ts). Compared by
 * path without the extension: the format a run writes is known only once it has.
 */
import { extname, relative, resolve, sep } from 'node:path';
import type { Problem } from '../errors.js';
import { outputPathFor } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import { lockPathFor } from './run-recipe.js';
import { otherLockOutputs } from './shared-outputs.js';

/** At most this many paths named in one warning. */
const NAMED = 3;

/** Per recipe, in the order given: a warning per other recipe (given here, or by its lock) writing its files. */
export async function outputClashes(
  loaded: readonly { readonly recipe: Recipe; readonly plan: Plan }[],
): Promise<Problem[][]> {
  const recipes = loaded.map((l) => l.recipe);
  const stems = loaded.map(
    ({ plan }) => new Set(plan.nodes.map((node) => stem(resolve(outputPathFor(plan, node, 'x'))))),
  );
  const given = new Set(recipes.map(lockPathFor));
  const all: Problem[][] = [];
  for (const [i, recipe] of recipes.entries()) {
    const mine = stems[i] ?? new Set<string>();
    const shown = (path: string): string => relative(recipe.dir, path).split(sep).join('/');
    const clashes = new Map<string, string[]>();
    const add = (who: string, path: string): void => {
      clashes.set(who, [...(clashes.get(who) ?? []), shown(path)]);
    };
    for (const [j, other] of recipes.entries())
      if (other.file !== recipe.file)
        for (const s of stems[j] ?? []) if (mine.has(s)) add(`${other.displayPath} (given in this command)`, `${s}.*`);
    const lockPath = lockPathFor(recipe);
    for (const [path, lock] of await otherLockOutputs({ lockPath, projectRoot: recipe.projectRoot }, 'owned'))
      if (!given.has(lock) && mine.has(stem(path))) add(`the recipe of ${shown(lock)}`, path);
    all.push([...clashes].map(([who, paths]) => clash(who, paths)));
  }
  return all;
}

function clash(who: string, paths: readonly string[]): Problem {
  const sorted = [...paths].sort();
  const more = sorted.length > NAMED ? ` and ${sorted.length - NAMED} more` : '';
  return {
    code: 'shared-output',
    severity: 'warning',
    message:
      `${sorted.slice(0, NAMED).join(', ')}${more} ${sorted.length === 1 ? 'is also an output' : 'are also outputs'} ` +
      `of ${who}: the two recipes overwrite each other's files (nothing is paid: each run copies its own back from ` +
      'the cache)',
    hint: 'give each recipe its own out: folder',
  };
}

function stem(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}
