/** `max_change` in a recipe: forms, range, defaults, and where a bad value is reported. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, RecipeError, formatProblem } from '../../../src/errors.js';
import { buildPlan } from '../../../src/plan/index.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-max-change-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'photo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let n = 0;
async function load(passes: string, head = ''): Promise<Awaited<ReturnType<typeof loadRecipe>>> {
  const file = path.join(root, `r${n++}.yml`);
  await writeFile(file, `version: 1\nprovider: emulator\n${head}sources:\n  photo: photo.png\npasses:\n${passes}`);
  return loadRecipe(file, { rt: createRuntime({ cwd: root, env: {} }) });
}

async function problems(passes: string, head = ''): Promise<string[]> {
  try {
    await load(passes, head);
  } catch (e) {
    expect(e).toBeInstanceOf(RecipeError);
    expect((e as RecipeError).exitCode).toBe(ExitCode.DATA_ERR);
    return (e as RecipeError).problems.map((p) => formatProblem(p).replace(`${root}${path.sep}`, ''));
  }
  throw new Error('expected the recipe to be refused');
}

describe('max_change', () => {
  it.each([
    ['25%', 25],
    ['12.5%', 12.5],
    ['0%', 0],
    ['100%', 100],
    ['100.0%', 100],
    ['25.5%', 25.5],
    ['25', 25],
    ['0', 0],
    ['40', 40],
    ['7.25', 7.25],
  ])('max_change: %s → %d on the plan node', async (written, value) => {
    const recipe = await load(`  - id: a\n    prompt: p\n    max_change: ${written}\n`);
    expect(recipe.passes[0]?.maxChange).toBe(value);
    expect(buildPlan(recipe).nodes[0]?.maxChange).toBe(value);
  });

  it('comes from defaults unless the pass sets its own, and is absent when neither does', async () => {
    const recipe = await load(
      '  - id: a\n    prompt: p\n  - id: b\n    prompt: q\n    max_change: 60%\n',
      'defaults:\n  max_change: 10%\n',
    );
    expect(recipe.passes.map((p) => p.maxChange)).toEqual([10, 60]);
    const bare = await load('  - id: a\n    prompt: p\n');
    expect(buildPlan(bare).nodes[0]).not.toHaveProperty('maxChange');
  });

  it.each(['150%', '101%', '100.5%', '-1%', '101', '-5', '"25 %"', 'lots', '"%"', '25%%', '.nan', '.inf', 'true'])(
    'refuses max_change: %s with its line and column',
    async (written) => {
      const found = await problems(`  - id: a\n    prompt: p\n    max_change: ${written}\n`);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^r\d+\.yml:8:\d+: .*max_change/);
    },
  );

  it('refuses a bad value in defaults at its line', async () => {
    const found = await problems('  - id: a\n    prompt: p\n', 'defaults:\n  max_change: 200%\n');
    expect(found[0]).toMatch(/^r\d+\.yml:4:\d+: /);
  });
});
