/** The editor-facing JSON Schema, generated from the zod schema (never written by hand). */
import { z } from 'zod';
import { RecipeSchema } from './schema.js';

/** Where the committed copy lives, relative to the package root. */
export const RECIPE_SCHEMA_PATH = 'schemas/recipe.schema.json';

/**
 * JSON Schema (draft-07, which yaml-language-server and most editors understand) of the recipe
 * as written: defaults are optional on input.
 */
export function recipeJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RecipeSchema, { target: 'draft-7', io: 'input' });
  return {
    ...schema,
    title: 'kontext recipe',
  };
}

/** The file's exact text: two-space indent and a final newline, so diffs stay small. */
export function recipeJsonSchemaText(): string {
  return `${JSON.stringify(recipeJsonSchema(), null, 2)}\n`;
}
