/**
 * A token pasted with curly quotes (or a line break, a non-ASCII character) cannot go in an HTTP
 * header: the client refuses it before sending, which nothing told from a failure after sending,
 * so the submit was counted maybe paid (exit 69) and the next run, token fixed, stopped on it
 * (exit 75, walk-o). Now the run stops at sign-in: exit 77, nothing sent, nothing journaled, and
 * the fixed token then runs the node once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { openStore } from '../../../src/store/index.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import { createProject, recipeYaml, runIn, summaryOf, type Project } from '../../helpers/run-fixtures.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

describe('a RUNCOMFY_TOKEN no HTTP header can carry', () => {
  it('stops the run at sign-in (77), nothing sent or journaled; fixed, the node runs once', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    const env = runcomfyAt(emulator);
    project = await createProject(
      recipeYaml([['a', 'Keep the face unchanged. Make the sky orange.']], ['hosting: { mode: inline }']).replace(
        'provider: emulator',
        'provider: runcomfy',
      ),
    );
    const bad = await runIn(project, {}, { env: { ...env, RUNCOMFY_TOKEN: '\u201ctest-token\u201d' } }).then(
      () => ({}) as { exitCode?: number; message?: string },
      (e: { exitCode?: number; message?: string }) => e,
    );
    expect(bad.exitCode).toBe(77);
    expect(bad.message).toMatch(/RUNCOMFY_TOKEN holds a character an HTTP header cannot carry/);
    expect(emulator.requestLog()).toEqual([]);
    expect(await (await openStore(project.cacheDir)).journal.list()).toEqual([]);
    const good = await runIn(project, {}, { env });
    expect(summaryOf(good)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
  });
});
