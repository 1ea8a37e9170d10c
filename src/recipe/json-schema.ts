/** The editor-facing JSON Schema, generated from the zod schema (never written by hand). */
import { z } from 'zod';
import { MAX_NAME, MAX_RECIPE_NAME } from './rules/names.js';
import { RecipeSchema } from './schema.js';

/** Where the committed copy lives, relative to the package root. */
export const RECIPE_SCHEMA_PATH = 'schemas/recipe.schema.json';

/**
 * JSON Schema (draft-07, which yaml-language-server and most editors understand) of the recipe
 * as written: defaults are optional on input.
 */
export function recipeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RecipeSchema, { target: 'draft-7', io: 'input' });
  // The length rules (rules/names.ts) count bytes, beyond zod: an editor warns as `validate` does
  // (walk-ah 4). Ids and source names are ASCII, so characters are bytes; for the recipe name,
  // characters are a bound a name of multi-byte letters may pass and `validate` still refuse.
  const at = (node: unknown, ...path: string[]): Record<string, unknown> | undefined => {
    let here = node;
    for (const key of path) here = (here as Record<string, unknown> | undefined)?.[key];
    return typeof here === 'object' && here !== null ? (here as Record<string, unknown>) : undefined;
  };
  for (const [node, max] of [
    [at(schema, 'properties', 'name'), MAX_RECIPE_NAME],
    [at(schema, 'properties', 'sources', 'propertyNames'), MAX_NAME],
    [at(schema, 'properties', 'passes', 'items', 'properties', 'id'), MAX_NAME],
  ] as const) {
    if (node === undefined) throw new Error('recipe JSON schema: a name property moved (json-schema.ts)');
    node['maxLength'] = max;
  }
  return {
    ...schema,
    title: 'kontext recipe',
  };
}

/** The file's exact text: two-space indent and a final newline, so diffs stay small. */
export function recipeJsonSchemaText(): string {
  return `${JSON.stringify(recipeJsonSchema(), null, 2)}\n`;
}
