/**
 * A glob from a stranger's recipe that starts outside the project (`../**`, an absolute path,
 * a symlinked folder leading out) is refused before its folder is listed: one line at the
 * source's line:col, exit 65. Before, `../**` walked the whole parent folder (`/**` the whole
 * disk) and refused each match afterwards.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, type RecipeError } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let top = '';
let root = '';
let rt: Runtime;

async function refusal(sources: string): Promise<string[]> {
  await writeFile(
    path.join(root, 'r.yml'),
    `version: 1\nsources:\n${sources}passes:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n`,
  );
  const e = await loadRecipe('r.yml', { rt }).then(
    () => null,
    (x: unknown) => x as RecipeError,
  );
  if (e === null) throw new Error('expected the recipe to be refused');
  expect(e.exitCode).toBe(ExitCode.DATA_ERR);
  return e.problems.map(formatProblem);
}

beforeEach(async () => {
  top = await mkdtemp(path.join(os.tmpdir(), 'kontext-globesc-'));
  root = path.join(top, 'project');
  await mkdir(path.join(root, '.git'), { recursive: true });
  await mkdir(path.join(root, 'assets'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'assets', 'cat.jpg'));
  // Outside the project, beside it: an image and a folder the walk would have to list.
  await mkdir(path.join(top, 'other', 'deep'), { recursive: true });
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(top, 'other', 'deep', 'holiday.jpg'));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(top, { recursive: true, force: true });
});

describe('a glob starting outside the project', () => {
  it('`../**/*.jpg`: refused naming where it starts, not per match', async () => {
    const lines = await refusal('  a: ../**/*.jpg\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^r\\.yml:3:6: sources\\.a: glob "\\.\\./\\*\\*/\\*\\.jpg" starts at ${top}, outside the project root`,
        ),
      ),
    ]);
    expect(lines[0]).toContain('the folder was not read');
  });

  it('an absolute pattern, and one alternative of a brace pattern, are refused the same way', async () => {
    const abs = await refusal(`  a: ${path.join(top, 'other')}/**/*.jpg\n`);
    expect(abs[0]).toContain(`starts at ${path.join(top, 'other')}, outside`);
    const brace = await refusal('  a: "{assets,../other}/*.jpg"\n');
    expect(brace[0]).toContain(`starts at ${path.join(top, 'other')}, outside`);
  });

  it('a symlinked folder in the project leading out is judged where it leads', async () => {
    await symlink(path.join(top, 'other'), path.join(root, 'link'));
    const lines = await refusal('  a: link/**/*.jpg\n');
    expect(lines[0]).toContain(`starts at ${path.join(top, 'other')}, outside`);
  });

  it('a glob inside the project still works, `..` included when it comes back in', async () => {
    await mkdir(path.join(root, 'recipes'));
    await writeFile(
      path.join(root, 'recipes', 'r.yml'),
      'version: 1\nsources:\n  a: ../assets/*.jpg\npasses:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    const recipe = await loadRecipe('recipes/r.yml', { rt });
    expect(recipe.sources[0]?.instances.map((i) => i.instance)).toEqual(['cat']);
  });
});
