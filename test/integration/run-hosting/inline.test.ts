/**
 * `hosting: inline` end to end: local sources travel as data URIs to the RunComfy API (the
 * emulator), chained passes pass the emulator's output URL on, and nothing is ever uploaded.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
});
