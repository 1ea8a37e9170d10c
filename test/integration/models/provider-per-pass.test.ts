/**
 * Provider per pass, end to end against real emulators on loopback: one run uses two providers
 * (the in-process emulator and "runcomfy" pointed at a standalone emulator), one session each;
 * the lock records each node's provider; moving one pass to another provider reruns only it.
 * A pass on a provider with no client in this build fails at preflight: nothing is sent or written.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { createProject, isSubmit, recipeYaml, runIn, summaryOf, type Project } from '../../helpers/run-fixtures.js';

let remote: EmulatorHandle;
let project: Project | undefined;
beforeEach(async () => {
  remote = await startEmulator({ queueMs: 10, runMs: 10 });
});
afterEach(async () => {
  await remote.close();
  await project?.cleanup();
});

const env = (): Record<string, string> => ({
  RUNCOMFY_MODEL_API_BASE: remote.baseUrl,
  RUNCOMFY_TOKEN: 'per-pass-token',
  KONTEXT_ALLOW_HOSTS: '127.0.0.1',
  KONTEXT_EMULATOR_QUEUE_MS: '5',
  KONTEXT_EMULATOR_RUN_MS: '5',
});

const SKY = ['sky', 'Keep the face unchanged. Make the sky orange.'] as const;
const HAT = (provider: string) => ['hat', 'Keep the sky unchanged. Add a red hat.', `provider: ${provider}`] as const;
const remoteSubmits = (): number => remote.requestLog().filter(isSubmit).length;

describe('a provider per pass', () => {
  it('two providers in one run; the lock records each; moving one pass reruns only it', async () => {
    project = await createProject(recipeYaml([SKY, HAT('runcomfy')]));
    const first = await runIn(project, {}, { env: env() });
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 2 });
    expect(remoteSubmits()).toBe(1);
    const submit = remote.requestLog().find(isSubmit);
    expect(submit?.body?.['prompt']).toBe('Keep the sky unchanged. Add a red hat.');
    const lock = await project.readLock();
    expect([lock.nodes['sky']?.provider, lock.nodes['hat']?.provider]).toEqual(['emulator', 'runcomfy']);
    expect(first.rt.stderr.text() + first.rt.stdout.text()).not.toContain('per-pass-token');

    const again = await runIn(project, {}, { env: env() });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, done: 0, cached: 2 });

    await project.writeRecipe(recipeYaml([SKY, HAT('emulator')]));
    const moved = await runIn(project, {}, { env: env() });
    expect(summaryOf(moved)).toMatchObject({ exitCode: 0, done: 1, cached: 1 });
    expect(remoteSubmits()).toBe(1);
    const after = await project.readLock();
    expect(after.nodes['sky']?.key).toBe(lock.nodes['sky']?.key);
    expect(after.nodes['hat']?.key).not.toBe(lock.nodes['hat']?.key);
    expect(after.nodes['hat']?.provider).toBe('emulator');
  });

  it('a pass on a provider without its credentials fails at preflight: exit 77, nothing sent', async () => {
    project = await createProject(recipeYaml([SKY, HAT('bfl')]));
    const err = await runIn(project, {}, { env: env() }).then(
      () => null,
      (e: unknown) => e as { code?: string; exitCode?: number; message?: string },
    );
    expect(err).toMatchObject({ code: 'E_AUTH', exitCode: 77 });
    expect(err?.message).toContain('BFL_API_KEY');
    expect(existsSync(project.lockPath)).toBe(false);
    expect(existsSync(project.outDir)).toBe(false);
    expect(remote.requestLog()).toEqual([]);
  });

  it('--dry-run reports the same failure', async () => {
    project = await createProject(recipeYaml([SKY, HAT('fal')]));
    const run = await runIn(project, { dryRun: true }, { env: env() });
    if (run.result.kind !== 'dry-run') throw new Error('expected a dry run');
    expect(run.result.failure).toMatchObject({ code: 'E_AUTH', exitCode: 77 });
    expect(remote.requestLog()).toEqual([]);
  });

  it('--provider runs every pass there (the lock says so)', async () => {
    project = await createProject(recipeYaml([SKY, HAT('replicate')]));
    const run = await runIn(project, { provider: 'emulator' }, { env: env() });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 2 });
    const lock = await project.readLock();
    expect([lock.nodes['sky']?.provider, lock.nodes['hat']?.provider]).toEqual(['emulator', 'emulator']);
  });

  it('--provider to a host without the pass model fails before any request (exit 65)', async () => {
    project = await createProject(recipeYaml([[...SKY, 'model: flux-kontext-dev']]));
    const err = await runIn(project, { provider: 'fal' }, { env: env() }).then(
      () => null,
      (e: unknown) => e as { code?: string; exitCode?: number },
    );
    expect(err).toMatchObject({ code: 'E_MODEL_PROVIDER', exitCode: 65 });
    expect(existsSync(project.lockPath)).toBe(false);
  });

  it('output_format on the emulator: the format asked for, saved under its extension, no warning', async () => {
    // A format the bytes deny is a warning (test/unit/models/output-format-check.test.ts); the
    // emulator used to serve PNG whatever was asked, so every such run warned (walk-r).
    project = await createProject(recipeYaml([[...SKY, 'params: { output_format: jpeg }']]));
    const run = await runIn(project, {}, { env: env() });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    expect(await project.outFiles()).toEqual(['out/test/sky/photo.jpg']);
    expect(run.events.filter((e) => e.type === 'warning')).toEqual([]);
  });
});
