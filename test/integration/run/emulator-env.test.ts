/**
 * `KONTEXT_EMULATOR_QUEUE_MS` / `KONTEXT_EMULATOR_RUN_MS` (the in-process emulator's timing) are
 * held to `kontext emulator --queue-ms`'s bound, a day: 10000000000 printed Node's
 * TimeoutOverflowWarning and ran the job at once; a value that is not a whole number was ignored.
 * Now each is a usage error (exit 64) naming the variable, before any request. Through the CLI
 * in-process, provider emulator.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';

let project: Project;
beforeEach(async () => {
  project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
});
afterEach(async () => {
  await project.cleanup();
});

async function run(env: Record<string, string>): Promise<{ code: number; stderr: string; out: string[] }> {
  const rt = testRuntime(project.root, env);
  const code = await main(['run', 'recipe.yml'], { rt });
  return { code, stderr: rt.stderr.text(), out: await project.outFiles().catch(() => []) };
}

describe('the in-process emulator timing from the environment', () => {
  it.each([
    ['KONTEXT_EMULATOR_QUEUE_MS', '10000000000'],
    ['KONTEXT_EMULATOR_RUN_MS', '86400001'],
    ['KONTEXT_EMULATOR_QUEUE_MS', '-5'],
    ['KONTEXT_EMULATOR_RUN_MS', '1.5'],
    ['KONTEXT_EMULATOR_RUN_MS', 'soon'],
  ])('%s=%s: exit 64 naming it and the bound, nothing run', async (name, value) => {
    const r = await run({ [name]: value });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(
      `kontext: ${name} must be a whole number of ms from 0 to 86400000 (a day), got "${value}"`,
    );
    expect(r.out).toEqual([]);
  });

  it('a day at most, and empty (the default), still run', async () => {
    const ok = await run({ KONTEXT_EMULATOR_QUEUE_MS: '', KONTEXT_EMULATOR_RUN_MS: ' 5 ' });
    expect(ok.code).toBe(0);
    expect(ok.out).toHaveLength(1);
  });
});
