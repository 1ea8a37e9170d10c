/**
 * `hosting: inline` end to end: local sources travel as data URIs to the RunComfy API (the
 * emulator), chained passes pass the emulator's output URL on, and nothing is ever uploaded.
 */
import { randomBytes } from 'node:crypto';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KontextError } from '../../../src/index.js';
import { pngHolding } from '../../helpers/test-images.js';
import { createProject, failures, outputsOf, submittedUrls, summaryOf, type Project } from './harness.js';
import { ALL_NODES, recipeYaml } from './recipe.js';

let project: Project;

beforeEach(async () => {
  project = await createProject();
});

afterEach(async () => {
  await project.close();
});

describe('kontext run with hosting: inline', () => {
  it('sends sources as data URIs and chains remote output URLs, opening the provider from the env', async () => {
    await project.writeRecipe(recipeYaml({ hosting: { mode: 'inline' } }));
    const first = await project.run({ ownSession: true });
    expect(failures(first)).toEqual([]);
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });

    const urls = submittedUrls(project).map((s) => s.url);
    expect(urls.filter((u) => u.startsWith('data:image/jpeg;base64,'))).toHaveLength(3);
    expect(urls.filter((u) => u.startsWith(`${project.emulator.origin}/files/`))).toHaveLength(2);

    const outputs = outputsOf(first);
    expect([...outputs.keys()].sort()).toEqual([...ALL_NODES].sort());
    for (const path of outputs.values()) expect((await sharp(path).metadata()).width).toBeGreaterThan(0);
    expect(await stat(join(project.cacheDir, 'hosted')).catch(() => null)).toBeNull();

    const second = await project.run();
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(project.submits()).toHaveLength(5);
  });

  it('a source over the inline cap stops the run before any request, though the other nodes fit', async () => {
    // 6,327,900 bytes (walk-af 10's) of noise in a whole PNG, among the glob's photos: RunComfy
    // takes 6 MiB inline; its size is told as 6.03 MiB, not as a "6.0 MiB" over the 6 MiB cap.
    const huge = join(project.root, 'assets', 'shots', 'huge.jpg');
    await writeFile(huge, pngHolding(randomBytes(6_327_900 - pngHolding().length)));
    await project.writeRecipe(recipeYaml({ hosting: { mode: 'inline' } }));
    const e = await project.run().then(
      () => null,
      (err: unknown) => err as KontextError,
    );
    expect(e).toMatchObject({ code: 'E_IMAGE_TOO_LARGE', exitCode: 65 });
    expect(e?.message).toBe(
      `${huge}: the input image is 6.03 MiB inline, over the 6 MiB runcomfy accepts ` +
        '(node label@huge, model blackforestlabs/flux-1-kontext/pro/edit); nothing was submitted',
    );
    expect(project.submits()).toEqual([]);
  });
});
