/**
 * S3 hosting with no `endpoint:` goes where `AWS_ENDPOINT_URL_S3` points, and its records are
 * that endpoint's (walk-af 5): a run after the variable moved to another bucket uploads there,
 * rather than reusing the first bucket's records, signing URLs for objects the new bucket lacks,
 * and paying for a submit whose fetch fails before hosting again. Two s3rvers with the same
 * bucket name.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { createProject, failures, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

const servers: TestS3Server[] = [];
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('S3 hosting whose endpoint comes from AWS_ENDPOINT_URL_S3', () => {
  it('a run after the variable changed uploads to the new endpoint: one submit per node, no refetch', async () => {
    const a = await startS3Server();
    const b = await startS3Server();
    servers.push(a, b);
    project = await createProject({ ...TEST_AWS_ENV });
    await mkdir(project.configDir, { recursive: true });
    const hosting = { mode: 's3', bucket: a.bucket, prefix: 'inputs', force_path_style: true };
    await writeFile(join(project.configDir, 'config.json'), JSON.stringify({ hosting }));
    await project.writeRecipe(recipeYaml());
    const first = await project.run({ env: { AWS_ENDPOINT_URL_S3: a.endpoint } });
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5 });
    expect(a.count('PUT')).toBe(3);

    // The glob pass's prompt changed: its two nodes (local shots as inputs) are sent again.
    await project.writeRecipe(recipeYaml({ prompts: { label: 'Keep the object. Make the background plain grey.' } }));
    const before = project.submits().length;
    const second = await project.run({ env: { AWS_ENDPOINT_URL_S3: b.endpoint } });
    expect(failures(second)).toEqual([]);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0 });
    expect(project.submits().length - before).toBe(2);
    expect(b.count('PUT')).toBe(2);
    expect(a.count('PUT')).toBe(3);
  });
});
