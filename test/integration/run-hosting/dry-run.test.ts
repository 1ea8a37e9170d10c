/**
 * `kontext run --dry-run --explain`: how each input would reach the API — upload N bytes,
 * reuse a hosted URL, re-sign an expired one, pass the API's own output URL on, or host a
 * cached output whose URL is stale — worked out without a single request to the API or S3.
 */
import { describe, expect, it } from 'vitest';
import type { DryRunReport, HostingConfig } from '../../../src/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, useS3Project, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const hosting = (): HostingConfig => s3Hosting(s3);

async function dryRun(settings: { now?: () => number; force?: string[] } = {}): Promise<Record<string, string | null>> {
  const requests = s3.requests.length;
  const submits = project.submits().length;
  const capture = await project.run({
    ...(settings.now ? { now: settings.now } : {}),
    options: { dryRun: true, ...(settings.force ? { force: settings.force } : {}) },
  });
  if (capture.result.kind !== 'dry-run') throw new Error('expected a dry run');
  expect(s3.requests.length).toBe(requests);
  expect(project.submits().length).toBe(submits);
  return inputs(capture.result.report);
}

/** Node → input line, for the nodes that would run. */
function inputs(report: DryRunReport): Record<string, string | null> {
  return Object.fromEntries(report.rows.filter((r) => r.status === 'run').map((r) => [r.node, r.input]));
}

describe('dry run: how each input reaches the API', () => {
  it("before anything is hosted: uploads for sources, this run's output URLs for chained passes", async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(await dryRun()).toEqual({
      background: 'will upload 32.9 kB (unless already in the bucket)',
      raincoat: 'output URL of background from this run (no upload)',
      umbrella: 'output URL of raincoat from this run (no upload)',
      'label@cat': 'will upload 19.5 kB (unless already in the bucket)',
      'label@coffee': 'will upload 25.8 kB (unless already in the bucket)',
    });
  });

  it('after a run: uploads reused (hours later too), fresh output URLs passed on, stale ones hosted', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);

    // Forcing `background` makes its downstream "will run" too: the dry run cannot know its output will not change.
    const downstream = {
      raincoat: 'output URL of background from this run (no upload)',
      umbrella: 'output URL of raincoat from this run (no upload)',
    };
    // The record keeps no presigned URL: a run signs one, so it never expires.
    for (const now of [Date.now, () => Date.now() + 2 * 3600_000])
      expect(await dryRun({ now, force: ['background'] })).toEqual({
        background: 'reuse the uploaded object (a URL is made for the run)',
        ...downstream,
      });

    const umbrella = { umbrella: 'Keep everything else unchanged. Add a green umbrella in her hand.' };
    await project.writeRecipe(recipeYaml({ hosting: hosting(), prompts: umbrella }));
    expect(await dryRun()).toEqual({
      umbrella: expect.stringMatching(/^reuse the API's output URL of raincoat \(fresh for \d min more; no upload\)$/),
    });
    expect(await dryRun({ now: () => Date.now() + 20 * 60_000 })).toEqual({
      umbrella: expect.stringMatching(
        /^cached output of raincoat: will upload \d+(\.\d)? kB \(unless already in the bucket\)$/,
      ),
    });
  });

  it('prints the input column with --explain (no signed URL), and the rows with --json', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    const { code, stdout, stderr } = await project.cli([
      'run',
      project.recipePath,
      '--dry-run',
      '--explain',
      '--force',
      'background',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const background = /^background\s+will run: forced\s+seed 11 \(recipe\)\s+← (.*)$/m.exec(stdout);
    expect(background?.[1]).toBe('reuse the uploaded object (a URL is made for the run)');
    expect(stdout).toContain('3 billable requests (about $0.12), 2 cached; nothing was submitted (dry run)');
    expect(stdout).not.toMatch(/X-Amz|127\.0\.0\.1/);
    const json = await project.cli(['run', project.recipePath, '--dry-run', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'dry-run', billable: 0, cached: 5 });
  });
});
