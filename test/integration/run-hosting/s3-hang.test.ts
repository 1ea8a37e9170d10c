/**
 * A bucket endpoint that accepts the connection and never answers (a black-holed S3, a firewall
 * swallowing the reply) fails the node once the S3 client's idle timeout fires: E_HOSTING_TIMEOUT,
 * exit 75, nothing submitted. It had no working timeout (the SDK handler's `requestTimeout` only
 * logs) and held the run for ever (walk-af 1). The run is given a 200 ms idle timeout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import { type BlackHole, startBlackHole } from '../../helpers/black-hole.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { createProject, failures, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let hole: BlackHole | undefined;
let project: Project | undefined;
afterEach(async () => {
  await project?.close();
  await hole?.close();
});

describe('an S3 endpoint that never answers', () => {
  it('fails the nodes with E_HOSTING_TIMEOUT (exit 75) after the idle timeout, nothing submitted', async () => {
    hole = await startBlackHole();
    project = await createProject({ ...TEST_AWS_ENV });
    const hosting: HostingConfig = { mode: 's3', bucket: 'b', prefix: 'inputs', endpoint: hole.endpoint };
    await mkdir(project.configDir, { recursive: true });
    await writeFile(
      join(project.configDir, 'config.json'),
      JSON.stringify({ hosting: { ...hosting, force_path_style: true } }),
    );
    await project.writeRecipe(recipeYaml());
    const started = Date.now();
    const run = await project.run({ s3IdleTimeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(summaryOf(run)).toMatchObject({ exitCode: 75 });
    // The first failure stops the run: the nodes whose check was under way by then name it.
    const failed = failures(run);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f).toMatch(/: E_HOSTING_TIMEOUT could not check s3:\/\/b\/.* timed out/);
    expect(project.submits()).toEqual([]);
    expect(hole.requests()).toBeGreaterThan(0);
  }, 30_000);
});
