/**
 * The values of `--only`, `--force` and `--reseed` as commander collects them. No imports:
 * `main.ts` loads this before any command.
 */

/**
 * `--only`, `--force` and `--reseed` take one value per flag and may be repeated; a value may
 * be a comma list of node patterns (`bag`, `bag#2`, `lifestyle@product-*`, `*`). `--force`
 * and `--reseed` may also stand alone (commander presets {@link BARE}): "all", i.e. the nodes
 * `--only` named, else every node. This collects every occurrence in order.
 */
export function collectSelection(value: string | boolean, previous: unknown): readonly (string | typeof BARE)[] {
  const before = Array.isArray(previous) ? (previous as (string | typeof BARE)[]) : [];
  return [...before, typeof value === 'string' ? value : BARE];
}

/** The value commander passes for a bare `--force` / `--reseed`. */
export const BARE = true;

const RECIPE_FILE = /\.(ya?ml)$/i;

/**
 * A selection flag's values → `'all'`, a list of patterns, or `undefined` (not given).
 * `kontext run --force catalog.yml` is read deterministically: a value that ends in
 * `.yml`/`.yaml` and names an existing file (from the working directory) is a recipe, moved to
 * `recipes`; any other value is a pattern (pass ids never hold a dot). The flag means `'all'`
 * when it stood alone once, or when recipes were all it was given.
 */
export function selectionOption(
  value: unknown,
  recipes: string[],
  isFile: (path: string) => boolean,
): readonly string[] | 'all' | undefined {
  if (!Array.isArray(value)) return undefined;
  let bare = false;
  const patterns: string[] = [];
  for (const v of value as unknown[]) {
    if (typeof v !== 'string') bare = true;
    else if (RECIPE_FILE.test(v) && isFile(v)) recipes.push(v);
    else patterns.push(v);
  }
  return bare || patterns.length === 0 ? 'all' : patterns;
}
