/**
 * `kontext validate`'s warning for recipes whose outputs land on the same files (walk-ag 1): two
 * recipes given in one command, or a recipe and another recipe's lock in its project (beside it,
 * or in another folder naming the same `out:`). Each run would overwrite the other's results.
 * Warned, not refused: nothing is paid twice (each run copies its own result back from the
 * cache), and the run warns again once it wrote such a file (shared-outputs.ts). Compared by
 * path without the extension: the format a run writes is known only once it has.
 * Also its warning for a glob source that sweeps up another recipe's outputs (walk-ag 7): its
 * wildcard reaches from a folder holding that recipe's lock (or above it) into what that recipe
 * writes, so each run of that recipe changes this one's sources, and this one pays again for them.
 * A glob whose literal folders lead into the other recipe's folder takes them on purpose (a chain
 * across recipes): no warning. `kontext run` warns of such a sweep too, before its first request.
 */
import { dirname, extname, relative, resolve, sep } from 'node:path';
import type { Problem } from '../errors.js';
import { outputPathFor } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import { splitPattern } from '../recipe/sources/glob-pattern.js';
import type { Recipe, Source } from '../recipe/types.js';
import { lockPathFor } from './run-recipe.js';
import { otherLockOutputs } from './shared-outputs.js';
import { isWithin } from '../util/real-path.js';

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
    const others = await otherLockOutputs({ lockPath, projectRoot: recipe.projectRoot }, 'owned');
    for (const [path, lock] of others)
      if (!given.has(lock) && mine.has(stem(path))) add(`the recipe of ${shown(lock)}`, path);
    all.push([
      ...[...clashes].map(([who, paths]) => clash(who, paths)),
      ...recipe.sources.flatMap((source) => sweeps(source, recipe.dir, others, shown)),
    ]);
  }
  return all;
}

/**
 * The run's look for {@link sweeps} (validate's `source-is-output`), before anything is paid: only a
 * recipe with a glob source looks for the project's other locks.
 */
export async function sourceSweepProblems(recipe: Recipe, lockPath: string): Promise<Problem[]> {
  if (!recipe.sources.some((source) => source.kind === 'glob')) return [];
  const others = await otherLockOutputs({ lockPath, projectRoot: recipe.projectRoot }, 'owned');
  if (others.size === 0) return [];
  const shown = (path: string): string => relative(recipe.dir, path).split(sep).join('/');
  return recipe.sources.flatMap((source) => sweeps(source, recipe.dir, others, shown));
}

/** `paths` sorted, the first {@link NAMED} named and the rest counted; `one`: whether there is one. */
function listed(paths: readonly string[]): { readonly sorted: string[]; readonly text: string; readonly one: boolean } {
  const sorted = [...paths].sort();
  const more = sorted.length > NAMED ? ` and ${sorted.length - NAMED} more` : '';
  return { sorted, text: `${sorted.slice(0, NAMED).join(', ')}${more}`, one: sorted.length === 1 };
}

function clash(who: string, paths: readonly string[]): Problem {
  const { text, one } = listed(paths);
  return {
    code: 'shared-output',
    severity: 'warning',
    message:
      `${text} ${one ? 'is also an output' : 'are also outputs'} ` +
      `of ${who}: the two recipes overwrite each other's files (nothing is paid: each run copies its own back from ` +
      'the cache)',
    hint: 'give each recipe its own out: folder',
  };
}

/** A warning per other lock whose outputs `source`'s wildcard swept up from its lock's folder or above. */
function sweeps(
  source: Source,
  dir: string,
  others: ReadonlyMap<string, string>,
  shown: (path: string) => string,
): Problem[] {
  if (source.kind !== 'glob') return [];
  let base: string;
  try {
    const split = splitPattern(source.spec);
    base = split.absolute ? resolve('/', ...split.base) : resolve(dir, ...split.base);
  } catch {
    return []; // a glob that does not parse matched nothing
  }
  const swept = new Map<string, string[]>();
  for (const { path } of source.instances) {
    const lock = path === undefined ? undefined : others.get(path);
    if (path === undefined || lock === undefined || !isWithin(base, dirname(lock))) continue;
    swept.set(lock, [...(swept.get(lock) ?? []), shown(path)]);
  }
  return [...swept].map(([lock, paths]) => {
    const { sorted, text, one } = listed(paths);
    return {
      code: 'source-is-output',
      severity: 'warning',
      message:
        `sources.${source.name}: ${JSON.stringify(source.spec)} matches ${text}, ` +
        `${one ? 'an output' : 'outputs'} of the recipe of ${shown(lock)}: each run of that recipe ` +
        'changes them, and this recipe then pays again for each one changed',
      hint:
        'narrow the glob to the photos it means; to chain on those outputs on purpose, start it in their folder: ' +
        `${dirname(sorted[0] ?? '.')}/*${extname(sorted[0] ?? '')}`,
      ...(source.location ? { location: source.location } : {}),
    };
  });
}

function stem(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}
