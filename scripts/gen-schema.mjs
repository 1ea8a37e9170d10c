#!/usr/bin/env node
// Regenerate schemas/recipe.schema.json from the zod schema (run `npm run schema`, which
// builds first). `--check` exits 1 instead of writing when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECIPE_SCHEMA_PATH, recipeJsonSchemaText } from '../dist/recipe/json-schema.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const target = path.join(root, RECIPE_SCHEMA_PATH);
const text = recipeJsonSchemaText();
const current = await readFile(target, 'utf8').catch(() => '');

if (process.argv.includes('--check')) {
  if (current !== text) {
    process.stderr.write(`${RECIPE_SCHEMA_PATH} is out of date; run: npm run schema\n`);
    process.exit(1);
  }
  process.stdout.write(`${RECIPE_SCHEMA_PATH} is up to date\n`);
} else if (current === text) {
  process.stdout.write(`${RECIPE_SCHEMA_PATH} unchanged\n`);
} else {
  await writeFile(target, text);
  process.stdout.write(`wrote ${RECIPE_SCHEMA_PATH}\n`);
}
