/**
 * `--dry-run` tells the truth about money, as real CLI processes against one emulator: its
 * billable count and cost equal the submits the run then makes, when nodes share a request
 * (byte-identical photos with pinned seeds: one cache key, one submit), and `--max-cost` judges
 * the run by those requests.
 */
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, isSubmit, type Project } from '../helpers/run-fixtures.js';

/** Four photos and two copies: six instances; both passes pinned, so each copy asks what its original asks. */
const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    seed: 7
    prompt: Keep the subject unchanged. Replace the background with a grey studio backdrop.
  - id: shadow
    seed: 8
    prompt: Keep the subject and the backdrop unchanged. Add a soft contact shadow.
`;

let emulator: EmulatorHandle;
let project: Project;

beforeAll(async () => {
  await ensureBuilt();
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  project = await createProject(YAML);
  await copyFile(join(project.root, 'assets', 'pet-chelsea.jpg'), join(project.root, 'assets', 'zz-copy-1.jpg'));
  await copyFile(join(project.root, 'assets', 'scene-rocket.jpg'), join(project.root, 'assets', 'zz-copy-2.jpg'));
}, 180_000);
afterAll(async () => {
  await emulator?.close();
  await project?.cleanup();
});

function kontext(args: readonly string[]): ReturnType<typeof cli> {
  const env = cliEnv(project.root, {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
  });
  return cli(['run', 'recipe.yml', ...args], { cwd: project.root, env });
}

const submits = (): number => emulator.requestLog().filter(isSubmit).length;

describe('--dry-run and the run it describes', () => {
  it('nodes sharing a request are billed once: the count and cost the run then pays', async () => {
    const dry = await kontext(['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout.trim().split('\n').at(-1) ?? '{}') as {
      billable: number;
      cached: number;
      cost_usd: number;
    };
    expect(report).toMatchObject({ billable: 8, cached: 0 });
    const perRequest = report.cost_usd / report.billable;

    // Between the price of 8 requests and of 12 nodes: the run fits.
    const limit = (perRequest * 10).toFixed(2);
    const before = submits();
    const run = await kontext(['--max-cost', limit]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/done 12 · cached 0 · failed 0 · skipped 0 · submitted 8\b/);
    expect(submits() - before).toBe(report.billable);
  }, 120_000);
});
