/**
 * `run --watch --serve` (the BUILT CLI) starts its run without waiting for the page's first
 * build: before, it waited for it (13–16 s for a recipe of 200 sources, their previews made with
 * sharp) before its first request. Here the first build is held by another report holding the
 * report folder's mutex (as a `kontext report` beside it would): the run submits and finishes
 * meanwhile, and a page asked for then (before: 503) says it is being built, then gets the data
 * by its event stream once the build can go on. A page that cannot be written (a folder where
 * its index.html goes) says why on the served page, and the watch and its run go on.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { acquireFileMutex } from '../../src/store/file-mutex.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../helpers/cli-spawn.js';
import { createProject, isSubmit, recipeYaml, until, type Project } from '../helpers/run-fixtures.js';
import { cliEvents, watchRecipe } from '../integration/watch/harness.js';
import { call, dataOf, models } from './report-serve-kit.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
let child: CliChild | undefined;
let release: (() => Promise<void>) | undefined;
beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await release?.();
  await emulator?.close();
  await project?.cleanup();
  child = emulator = project = release = undefined;
});

describe('run --watch --serve start-up', () => {
  it('the run submits while the first build is held; the page meanwhile says it is being built', async () => {
    const em = (emulator = await startEmulator({ queueMs: 0, runMs: 20 }));
    const p = (project = await createProject(
      watchRecipe([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.'],
      ]),
    ));
    const folder = join(p.outDir, 'report');
    await mkdir(folder, { recursive: true });
    const held = await acquireFileMutex(join(folder, '.index.html'), { pid: process.pid });
    release = async () => {
      release = undefined;
      await held();
    };
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const c = (child = spawnCli(['run', '--watch', '--serve', '--port', '0', p.recipe, '--json'], {
      cwd: p.root,
      env,
    }));
    const detail = (): string => `output: ${c.output()}`;
    const printed = (): string | undefined =>
      /review sheet for .*: (http:\/\/127\.0\.0\.1:\d+\/report\/)/.exec(c.output())?.[1];
    await until(() => printed() !== undefined, 20_000, 'the URL', detail);
    const url = printed() as string;
    const host = new URL(url).host;
    const stream = models(url);
    try {
      const page = await call(url, '/report/', { headers: { host } });
      expect(page.status).toBe(200);
      expect(dataOf(page.body)).toMatchObject({ building: true, passes: [], nodes: [] });
      const done = (): number => cliEvents(c).filter((e) => e.type === 'node-done').length;
      await until(() => done() === 2, 20_000, 'both nodes done while the first build is held', detail);
      expect(em.requestLog().filter(isSubmit)).toHaveLength(2);
      // Nothing to push yet: the data is not built.
      expect(stream.seen).toEqual([]);

      await release();
      const states = (): string[] => (stream.seen.at(-1)?.nodes ?? []).map((n) => n.state);
      await until(() => states().join() === 'up-to-date,up-to-date', 20_000, 'the data on the stream', detail);
      expect(stream.seen.at(-1)?.building).toBeUndefined();
      expect(dataOf((await call(url, '/report/', { headers: { host } })).body).counts['up-to-date']).toBe(2);
    } finally {
      stream.close();
    }
    c.child.kill('SIGINT');
    expect((await c.done).code, detail()).toBe(130);
  }, 60_000);

  it('a folder where the page goes: the page says why, the watch goes on (its run not stopped)', async () => {
    const p = (project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    const env = cliEnv(p.root);
    const index = join(p.outDir, 'report', 'index.html');
    await mkdir(index, { recursive: true });
    const c = (child = spawnCli(['run', '--watch', '--serve', '--port', '0', p.recipe], { cwd: p.root, env }));
    const detail = (): string => `output: ${c.output()}`;
    const printed = (): string | undefined =>
      /review sheet for .*: (http:\/\/127\.0\.0\.1:\d+\/report\/)/.exec(c.output())?.[1];
    await until(() => printed() !== undefined, 20_000, 'the URL', detail);
    const url = printed() as string;
    const host = new URL(url).host;
    const says = `cannot write the report page ${index}: a folder is in its place`;
    const errors = async (): Promise<readonly string[]> =>
      dataOf((await call(url, '/report/', { headers: { host } })).body).buildErrors ?? [];
    let seen: readonly string[] = [];
    await until(
      async () => (seen = await errors()).some((e) => e.includes(says)),
      30_000,
      'the error on the page',
      () => `${detail()}\npage errors: ${seen.join(' | ')}`,
    );
    await until(() => /done\s+sky/.test(c.output()), 30_000, 'the run done', detail);
    expect(c.child.exitCode, detail()).toBeNull();
    // The terminal is told too, once (a page that no longer updates is easy to miss).
    const told = (): string[] =>
      c
        .output()
        .split('\n')
        .filter((l) => l.includes('the review page could not be built'));
    await until(() => told().length > 0, 20_000, 'the terminal told', detail);
    expect(told(), detail()).toHaveLength(1);
    expect(told()[0]).toContain(says);
    c.child.kill('SIGINT');
    expect((await c.done).code, detail()).toBe(130);
  }, 60_000);
});
