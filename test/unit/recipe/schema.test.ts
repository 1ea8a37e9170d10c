import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RECIPE_SCHEMA_PATH, recipeJsonSchema, recipeJsonSchemaText } from '../../../src/recipe/json-schema.js';
import { DEFAULT_MODEL } from '../../../src/recipe/models.js';
import { RecipeSchema } from '../../../src/recipe/schema.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every `properties` entry anywhere in the schema, with its JSON pointer. */
function properties(node: unknown, at = '#'): { at: string; schema: Record<string, unknown> }[] {
  if (typeof node !== 'object' || node === null) return [];
  const out: { at: string; schema: Record<string, unknown> }[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [name, prop] of Object.entries(value))
        out.push({ at: `${at}/properties/${name}`, schema: prop as Record<string, unknown> });
    }
    out.push(...properties(value, `${at}/${key}`));
  }
  return out;
}

describe('recipe JSON Schema', () => {
  it(`matches the committed ${RECIPE_SCHEMA_PATH}`, async () => {
    const committed = await readFile(path.join(ROOT, RECIPE_SCHEMA_PATH), 'utf8').catch(() => '(missing)');
    const fresh = recipeJsonSchemaText();
    if (committed !== fresh) {
      expect.fail(`${RECIPE_SCHEMA_PATH} has drifted from src/recipe/schema.ts; regenerate it with: npm run schema`);
    }
  });

  it('describes every field (editor tooltips)', () => {
    const undocumented = properties(recipeJsonSchema())
      .filter(({ schema }) => typeof schema['description'] !== 'string' || schema['description'] === '')
      .map(({ at }) => at);
    expect(undocumented).toEqual([]);
  });

  it('is draft-07 and refuses unknown keys', () => {
    const schema = recipeJsonSchema();
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema['additionalProperties']).toBe(false);
    expect(schema['required']).toEqual(['version', 'sources', 'passes']);
  });

  it("holds the names to validate's lengths: 64 for pass ids and source names, 100 for the recipe's", () => {
    const schema = JSON.parse(recipeJsonSchemaText()) as {
      properties: {
        name: { maxLength?: number };
        sources: { propertyNames: { maxLength?: number } };
        passes: { items: { properties: { id: { maxLength?: number } } } };
      };
    };
    expect([
      schema.properties.name.maxLength,
      schema.properties.sources.propertyNames.maxLength,
      schema.properties.passes.items.properties.id.maxLength,
    ]).toEqual([100, 64, 64]);
  });
});

describe('RecipeSchema', () => {
  it('applies defaults and keeps params free-form', () => {
    const parsed = RecipeSchema.parse({
      version: 1,
      sources: { photo: 'a.jpg' },
      passes: [{ id: 'a', prompt: 'x', params: { output_format: 'png', nested: { ok: true } } }],
    });
    expect(parsed.provider).toBe('runcomfy');
    expect(parsed.model).toBe(DEFAULT_MODEL);
    expect(parsed.passes[0]?.params).toEqual({ output_format: 'png', nested: { ok: true } });
  });

  it.each([
    ['inline', { mode: 'inline' }, true],
    ['s3', { mode: 's3', bucket: 'b', prefix: 'k/', force_path_style: true, presign_ttl_seconds: 900 }, true],
    ['s3, presigned URLs under 15 min', { mode: 's3', bucket: 'b', presign_ttl_seconds: 899 }, false],
    ['command, url_ttl_seconds 0 (never reused)', { mode: 'command', command: 'up', url_ttl_seconds: 0 }, true],
    ['s3 without bucket', { mode: 's3' }, false],
    ['command as a string', { mode: 'command', command: 'upload.sh', timeout_seconds: 30 }, true],
    ['command as argv', { mode: 'command', command: ['node', 'up.mjs'] }, true],
    ['command with an s3 field', { mode: 'command', command: 'x', bucket: 'b' }, false],
    ['unknown mode', { mode: 'ftp' }, false],
    [
      's3, public_base_url with a password (walk-o)',
      { mode: 's3', bucket: 'b', public_base_url: 'https://u:p@h/i' },
      false,
    ],
    ['s3, endpoint with a user name', { mode: 's3', bucket: 'b', endpoint: 'http://admin@127.0.0.1:9000' }, false],
    [
      's3, public_base_url with a query (review-t)',
      { mode: 's3', bucket: 'b', public_base_url: 'https://c/i?sig=1' },
      false,
    ],
    [
      's3, endpoint and public_base_url plain',
      { mode: 's3', bucket: 'b', endpoint: 'http://h:9000', public_base_url: 'https://c/i' },
      true,
    ],
  ])('hosting: %s', (_name, hosting, ok) => {
    const r = RecipeSchema.safeParse({ version: 1, sources: {}, passes: [{ id: 'a', prompt: 'x' }], hosting });
    expect(r.success).toBe(ok);
  });
});
