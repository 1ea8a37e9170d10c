/**
 * A run labels local sources by their bytes: a JPEG saved as `portrait.png` reaches the API
 * (the emulator) as `data:image/jpeg`, and is uploaded as `<sha256>.jpg` with
 * `Content-Type: image/jpeg` under `hosting: s3`.
 */
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { createProject, failures, s3Hosting, submittedUrls, useS3Project, type Project } from './harness.js';
import { recipeYaml, type RecipeVariant } from './recipe.js';

/** The chain recipe with its portrait (a JPEG) renamed `assets/portrait.png`. */
async function jpegNamedPng(project: Project, variant: RecipeVariant): Promise<void> {
  await rename(join(project.root, 'assets', 'portrait.jpg'), join(project.root, 'assets', 'portrait.png'));
  await project.writeRecipe(recipeYaml(variant).replace('assets/portrait.jpg', 'assets/portrait.png'));
}

const backgroundUrl = (project: Project): string | undefined =>
  submittedUrls(project).find((s) => s.prompt.includes('rainy street'))?.url;

describe('a JPEG named .png, hosting: inline', () => {
  let project: Project;
  beforeEach(async () => {
    project = await createProject();
  });
  afterEach(() => project.close());

  it('is sent as data:image/jpeg', async () => {
    await jpegNamedPng(project, { hosting: { mode: 'inline' } });
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    expect(backgroundUrl(project)).toMatch(/^data:image\/jpeg;base64,/);
  });
});

describe('a JPEG named .png, hosting: s3', () => {
  let s3: TestS3Server;
  let project: Project;
  useS3Project((server, p) => {
    s3 = server;
    project = p;
  });

  it('is uploaded as <sha256>.jpg with Content-Type image/jpeg', async () => {
    await jpegNamedPng(project, { hosting: s3Hosting(s3) });
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    const puts = s3.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(3);
    for (const put of puts)
      expect(put).toMatchObject({ path: expect.stringMatching(/\.jpg$/), contentType: 'image/jpeg' });
    expect(backgroundUrl(project)).toMatch(/\/inputs\/[0-9a-f]{64}\.jpg\?/);
  });
});
