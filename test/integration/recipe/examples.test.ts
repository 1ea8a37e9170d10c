/** Every recipe in recipes/examples is a test: it validates and plans with no problem at all. */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/index.js';
import { validateRecipeFile } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLES = path.join(ROOT, 'recipes/examples');
const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yml')).sort();
const rt = createRuntime({ cwd: ROOT, env: {} });

describe('recipes/examples', () => {
  it('has the three documented examples', () => {
    expect(files).toEqual(expect.arrayContaining(['brand-swap.yml', 'portrait.yml', 'product-batch.yml']));
  });

  it.each(files)('%s validates with no error and no lint warning, and plans', async (name) => {
    const display = `recipes/examples/${name}`;
    const text = await readFile(path.join(ROOT, display), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/recipe.schema.json');
    const result = await validateRecipeFile(display, { rt, strict: true });
    expect(result.problems).toEqual([]);
    expect(result.recipe?.provider).toBe('emulator');
    const plan = buildPlan(result.recipe!);
    expect(plan.nodes.length).toBeGreaterThan(0);
  });

  it('the portrait example branches and has variants; the batch fans out over files', async () => {
    const portrait = (await validateRecipeFile('recipes/examples/portrait.yml', { rt })).recipe!;
    // A branch: a pass whose input is a pass other than the one just before it.
    expect(
      portrait.passes.some((p, i) => i > 0 && p.from.kind === 'pass' && p.from.id !== portrait.passes[i - 1]?.id),
    ).toBe(true);
    expect(portrait.passes.some((p) => p.variants > 1)).toBe(true);
    const batch = (await validateRecipeFile('recipes/examples/product-batch.yml', { rt })).recipe!;
    expect(batch.sources[0]?.kind).toBe('glob');
    expect(batch.sources[0]?.instances.length).toBeGreaterThan(1);
  });

  it('keeps committed assets small and attributed', async () => {
    const assets = path.join(EXAMPLES, 'assets');
    const names = await readdir(assets);
    expect(names).toContain('LICENSES.md');
    const sizes = await Promise.all(names.map(async (n) => (await stat(path.join(assets, n))).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(300 * 1024);
  });
});
