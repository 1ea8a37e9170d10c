/**
 * What already holds against a stranger's recipe file, pinned: a 50 MB file is refused unread,
 * a BOM is fine, merge keys (`<<:`) are unknown keys, and a glob with no match says so (exit 66).
 */
import { copyFile, mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, type KontextError, type RecipeError } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';
let rt: Runtime;

const RECIPE =
  'version: 1\nsources:\n  a: assets/cat.jpg\npasses:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n';

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-yamlholds-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'assets'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'assets', 'cat.jpg'));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const failure = (file = 'r.yml'): Promise<KontextError> =>
  loadRecipe(file, { rt }).then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as KontextError,
  );

describe('recipe files from strangers', () => {
  it('a 50 MB recipe is refused by its size, exit 65, before it is read', async () => {
    await writeFile(path.join(root, 'r.yml'), RECIPE);
    await truncate(path.join(root, 'r.yml'), 50 * 1024 * 1024);
    const e = await failure();
    expect(e.code).toBe('E_RECIPE_TOO_LARGE');
    expect(e.exitCode).toBe(ExitCode.DATA_ERR);
    expect(e.message).toBe('r.yml: 52428800 bytes is too large for a recipe');
  });

  it('a UTF-8 byte order mark is fine', async () => {
    await writeFile(path.join(root, 'r.yml'), `\uFEFF${RECIPE}`);
    expect((await loadRecipe('r.yml', { rt })).passes.map((p) => p.id)).toEqual(['hat']);
  });

  it('a merge key is refused at its line:col as one, not merged', async () => {
    const merged = `${RECIPE.replace('passes:\n', 'keep: &k\n  prompt: Keep it.\npasses:\n')}  - id: b\n    <<: *k\n`;
    await writeFile(path.join(root, 'r.yml'), merged);
    const lines = ((await failure()) as RecipeError).problems.map(formatProblem);
    expect(lines).toEqual([
      'r.yml:10:5: YAML merge keys (`<<`) are not supported in a recipe ' +
        '(write each key in the pass itself; an alias still shares one value, as in `prompt: *text`)',
    ]);
  });

  it('a glob with no match: exit 66, saying where it looked', async () => {
    await writeFile(path.join(root, 'r.yml'), RECIPE.replace('assets/cat.jpg', 'assets/*.png'));
    const e = (await failure()) as RecipeError;
    expect(e.exitCode).toBe(ExitCode.NO_INPUT);
    expect(e.problems.map(formatProblem)).toEqual([
      `r.yml:3:6: sources.a: no files match "assets/*.png" (searched from ${root})`,
    ]);
  });
});
