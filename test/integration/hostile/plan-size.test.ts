/**
 * A recipe kontext can keep: at most 50,000 nodes (the lock holds one entry per node and is read
 * back whole). A glob over more files stops listing there; variants multiplying a big glob past
 * it are counted as the planner fans out. Both are exit 65 at the source's line:col, in seconds,
 * before anything is hashed or paid.
 */
import { copyFile, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, type RecipeError } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-plansize-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'many'));
  await mkdir(path.join(root, 'some'));
  const first = path.join(root, 'many', 'f00000.jpg');
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), first);
  // Hard links: 50,001 names, one image's bytes.
  for (let i = 1; i <= 50_000; i++) await link(first, path.join(root, 'many', `f${String(i).padStart(5, '0')}.jpg`));
  for (let i = 0; i < 1_000; i++) await link(first, path.join(root, 'some', `f${i}.jpg`));
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(yaml: string): Promise<string[]> {
  await writeFile(path.join(root, 'r.yml'), yaml);
  const rt = createRuntime({ cwd: root, env: { HOME: root } });
  const e = await loadRecipe('r.yml', { rt }).then(
    () => null,
    (x: unknown) => x as RecipeError,
  );
  if (e === null) throw new Error('expected the recipe to be refused');
  expect(e.exitCode).toBe(ExitCode.DATA_ERR);
  return e.problems.map(formatProblem);
}

const recipe = (glob: string, variants: number): string =>
  `version: 1\nsources:\n  shots: ${glob}\npasses:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n` +
  `    variants: ${variants}\n  - id: frame\n    prompt: Keep it unchanged. Add a frame.\n`;

describe('a recipe too large for its lock', () => {
  it('a glob over 50,000 files: refused at its line:col, without checking each file', async () => {
    const started = Date.now();
    const lines = await refusal(recipe('many/*.jpg', 1));
    expect(lines).toEqual([
      'r.yml:3:10: sources.shots: glob "many/*.jpg" matches more than 50000 files ' +
        '(at most 50000 per recipe; the rest was not read) (the lock file keeps one entry per node; ' +
        'split the files over several recipes (or narrow the glob))',
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  it('1,000 files times 30 variants and a pass below: 60,000 nodes, counted as planned', async () => {
    const lines = await refusal(recipe('some/*.jpg', 30));
    expect(lines).toEqual([
      expect.stringMatching(/^r\.yml:3:10: sources\.shots: the recipe plans 60000 nodes \(at most 50000\)/),
    ]);
  });

  it('25 variants (50,000 nodes) are fine', async () => {
    await writeFile(path.join(root, 'r.yml'), recipe('some/*.jpg', 25));
    const rt = createRuntime({ cwd: root, env: { HOME: root } });
    const r = await loadRecipe('r.yml', { rt });
    expect(r.sources[0]?.instances).toHaveLength(1000);
  });
});
