/**
 * Size sanity (the benchmark times it): a glob over 1,000 files × 10 passes validates, with
 * every instance named uniquely and in order. Not timed here: test machines are noisy.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
/** Sources must be images by their first bytes; nothing reads further. */
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-scale-'));
  await mkdir(path.join(root, 'shots'));
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      writeFile(path.join(root, 'shots', `shot-${String(i).padStart(4, '0')}.jpg`), JPEG_MAGIC),
    ),
  );
  const passes = Array.from(
    { length: 10 },
    (_, i) =>
      `  - id: step-${i}\n` +
      `    prompt: Keep the product and its label unchanged. Replace the background with color ${i}.\n`,
  );
  await writeFile(
    path.join(root, 'batch.yml'),
    `version: 1\nsources:\n  shots: shots/*.jpg\npasses:\n${passes.join('')}`,
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a 1,000-file glob over 10 passes', () => {
  it('validates, with 1,000 unique sorted instances', async () => {
    const recipe = await loadRecipe('batch.yml', { rt: createRuntime({ cwd: root, env: {} }) });
    const instances = recipe.sources[0]?.instances ?? [];
    expect(instances).toHaveLength(1000);
    expect(instances[0]?.instance).toBe('shot-0000');
    expect(instances[999]?.instance).toBe('shot-0999');
    expect(new Set(instances.map((i) => i.instance)).size).toBe(1000);
    expect(recipe.passes).toHaveLength(10);
    expect(recipe.warnings).toEqual([]);
  });
});
