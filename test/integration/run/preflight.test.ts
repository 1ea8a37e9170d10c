/**
 * The RunComfy provider path (RUNCOMFY_MODEL_API_BASE + KONTEXT_ALLOW_HOSTS, a real session
 * opened by the runner): a local source with no hosting fails before any request (exit 65,
 * naming the source); no token fails before any request (exit 77); with inline hosting and a
 * token the run succeeds against the emulator.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { createProject, recipeYaml, runIn, summaryOf, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle;
let project: Project | undefined;
beforeEach(async () => {
  emulator = await startEmulator({ queueMs: 10, runMs: 10 });
});
afterEach(async () => {
  await emulator.close();
  await project?.cleanup();
});

const PASSES = [['sky', 'Keep the face unchanged. Make the sky orange.']] as const;
const runcomfy = (head: readonly string[] = []): string =>
  recipeYaml(PASSES, head).replace('provider: emulator', 'provider: runcomfy');
const apiEnv = (): Record<string, string> => ({
  RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
  KONTEXT_ALLOW_HOSTS: '127.0.0.1',
});

async function failure(
  p: Promise<unknown>,
): Promise<{ code?: string; exitCode?: number; message?: string; hint?: string }> {
  return p.then(
    () => {
      throw new Error('expected the run to fail');
    },
    (e: unknown) => e as { code?: string; exitCode?: number; message?: string },
  );
}

describe('runcomfy provider pre-flight', () => {
  it('a local source with no hosting fails before any request (exit 65), naming the source and options', async () => {
    project = await createProject(runcomfy());
    const err = await failure(runIn(project, {}, { env: { ...apiEnv(), RUNCOMFY_TOKEN: 'test-token' } }));
    expect(err).toMatchObject({ code: 'E_NO_HOSTING', exitCode: 65 });
    expect(err.message).toContain('"photo"');
    expect(err.message).toContain('portrait-astronaut.jpg');
    expect(err.hint).toMatch(/hosting/);
    // At the source's line in the recipe, where the fix goes (walk-u 10).
    const lines = (await readFile(project.recipe, 'utf8')).split('\n');
    const line = lines.findIndex((l) => l.includes('photo: assets/portrait-astronaut.jpg')) + 1;
    expect((err as { location?: unknown }).location).toMatchObject({ file: project.recipe, line });
    expect(emulator.requestLog()).toEqual([]);
  });

  it('no token fails before any request (exit 77)', async () => {
    project = await createProject(runcomfy(['hosting: { mode: inline }']));
    const err = await failure(runIn(project, {}, { env: apiEnv() }));
    expect(err.exitCode).toBe(77);
    expect(emulator.requestLog()).toEqual([]);
  });

  it('with a token and inline hosting the run goes through the RunComfy client to the emulator', async () => {
    project = await createProject(runcomfy(['hosting: { mode: inline }']));
    const run = await runIn(project, {}, { env: { ...apiEnv(), RUNCOMFY_TOKEN: 'test-token' } });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    const submit = emulator.requestLog().find((e) => e.method === 'POST' && e.path.startsWith('/v1/models/'));
    expect(String(submit?.body?.['image_url'])).toMatch(/^data:image\/jpeg/);
    expect((await project.readLock()).nodes['sky']?.provider).toBe('runcomfy');
    expect(run.rt.stderr.text() + run.rt.stdout.text()).not.toContain('test-token');
  });
});
