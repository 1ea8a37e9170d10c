/**
 * `recipeStatus`, `writeReport` and `cleanRecipe` tell a remote cache that is down through the
 * caller's `onWarning`/`onNotice`. Those only observe, as a run's `onEvent` does: one that throws
 * rejected the whole call with its raw Error, and no report was written. Now the work is done (the
 * status computed, the page written), then the call rejects with one E_EVENT_LISTENER (exit 70)
 * whose cause is the callback's error.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanRecipe, KontextError, recipeStatus, runRecipe, writeReport } from '../../../src/index.js';
import { createProject, recipeYaml, testRuntime, type Project } from '../../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';

const DOWN = 'http://127.0.0.1:9'; // nothing listens: refused

let project: Project;
beforeEach(async () => {
  // Never run: every node's result is asked of the remote, which is down.
  project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
});
afterEach(async () => {
  await project.cleanup();
});

const rtDown = () =>
  testRuntime(project.root, {
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_S3: DOWN,
    KONTEXT_REMOTE_CACHE: 's3://kontext-test/team',
  });

function throwing(): { readonly error: Error; readonly said: string[]; readonly cb: (m: string) => void } {
  const error = new Error('cb boom');
  const said: string[] = [];
  return {
    error,
    said,
    cb: (m) => {
      said.push(m);
      throw error;
    },
  };
}

function expectListenerError(e: unknown, cause: Error, name: string): void {
  expect(e).toBeInstanceOf(KontextError);
  expect(e).toMatchObject({ code: 'E_EVENT_LISTENER', exitCode: 70, message: `the ${name} callback threw: cb boom` });
  expect((e as KontextError).cause).toBe(cause);
}

describe('a status or report callback that throws', () => {
  it('recipeStatus: onWarning throws: the status is still computed, then E_EVENT_LISTENER', async () => {
    const t = throwing();
    const error = await recipeStatus(project.recipe, {}, { rt: rtDown(), onWarning: t.cb }).catch((e: unknown) => e);
    expect(t.said.length).toBeGreaterThan(0);
    expectListenerError(error, t.error, 'onWarning');
    // The same call with a callback that does not throw: the status it computed.
    const said: string[] = [];
    const status = await recipeStatus(project.recipe, {}, { rt: rtDown(), onWarning: (m) => said.push(m) });
    expect(status.nodes.map((n) => n.state)).toEqual(['will-run']);
    expect(said).toEqual(t.said);
  }, 30_000);

  it('writeReport: onWarning throws: the report is still written, then E_EVENT_LISTENER naming it', async () => {
    const t = throwing();
    const error = await writeReport(project.recipe, {}, { rt: rtDown(), onWarning: t.cb }).catch((e: unknown) => e);
    expect(t.said.length).toBeGreaterThan(0);
    expectListenerError(error, t.error, 'onWarning');
    const index = join(project.outDir, 'report', 'index.html');
    expect(existsSync(index)).toBe(true);
    expect((error as KontextError).hint).toContain(index);
  }, 30_000);

  it('cleanRecipe: onWarning throws: clean still does its work, then E_EVENT_LISTENER', async () => {
    await runRecipe(project.recipe, { jobs: 1 }, { rt: testRuntime(project.root), onEvent: () => {} });
    // The pass renamed and changed: its old entry is dropped, unless the remote says a node takes it.
    await project.writeRecipe(recipeYaml([['dusk', 'Make the sky violet']]));
    const t = throwing();
    const error = await cleanRecipe(project.recipe, {}, { rt: rtDown(), onWarning: t.cb }).catch((e: unknown) => e);
    expect(t.said.length).toBeGreaterThan(0);
    expectListenerError(error, t.error, 'onWarning');
    // Clean did its work all the same: the old entry and its output are gone.
    expect(Object.keys((await project.readLock()).nodes)).toEqual([]);
    expect(await project.outFiles()).toEqual([]);
  }, 30_000);
});
