/** Parsing of command-line option values into typed values, with usage errors (exit 64). */
import { UsageError } from '../index.js';

export function intOption(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

export function numberOption(name: string, value: unknown, min: number, max = Number.MAX_VALUE): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(
      `${name} must be a number from ${min}${max === Number.MAX_VALUE ? '' : ` to ${max}`}, got "${text}"`,
    );
  }
  return n;
}

/**
 * A `[pass...]` option: `true` when given with no names (meaning "all"), a list when names
 * follow, `undefined` when absent.
 */
export function passListOption(value: unknown): readonly string[] | 'all' | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 'all';
  if (Array.isArray(value)) return value.length === 0 ? 'all' : value.map(String);
  return [String(value)];
}

const RECIPE_FILE = /\.(ya?ml)$/i;

/**
 * Variadic options swallow following words, so `kontext run --force recipe.yml` would read
 * the recipe as a pass name. Recipe files are recognisable by extension: move them back.
 */
export function splitRecipesFromPassList(value: unknown, recipes: string[]): unknown {
  if (!Array.isArray(value)) return value;
  const passes = value.filter((v) => !RECIPE_FILE.test(String(v)));
  for (const v of value) if (RECIPE_FILE.test(String(v))) recipes.push(String(v));
  return passes.length === 0 ? true : passes;
}
