/**
 * `run --watch --serve` (the BUILT CLI): the served page never stops or stalls the paying run.
 * A page build that throws a plain Error (a bug in the report code, injected by the test hook
 * `KONTEXT_TEST_THROW_AT=report-mutex-held`) is shown on the page and warned once, the run and
 * the watch go on, and a later rebuild brings the page back. Before, it ended the command (the
 * queued requests cancelled). A Ctrl-C while the first build waits for another report's mutex
 * exits 130 at once, its paid request journaled; before, it waited for that mutex (10 minutes).
 * So does a plain `kontext report` waiting for it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../src/index.js';
import { acquireFileMutex } from '../../src/store/file-mutex.js';
import { cli, cliEnv, ensureBuilt, spawnCli, type CliChild } from '../helpers/cli-spawn.js';
import { createProject, isSubmit, lockMatchesFiles, until, type Project } from '../helpers/run-fixtures.js';
import { cliEvents, watchRecipe } from '../integration/watch/harness.js';
import { models } from './report-serve-kit.js';

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

/** The report folder's mutex held as another `kontext report` would hold it; `release` lets go. */
async function holdReportMutex(p: Project): Promise<void> {
  const folder = join(p.outDir, 'report');
  await mkdir(folder, { recursive: true });
  const held = await acquireFileMutex(join(folder, '.index.html'), { pid: process.pid });
  release = async () => {
    release = undefined;
    await held();
  };
}

function serveCli(p: Project, em: EmulatorHandle, extra: Record<string, string> = {}): CliChild {
  const env = cliEnv(p.root, {
    RUNCOMFY_MODEL_API_BASE: em.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    ...extra,
  });
  return (child = spawnCli(['run', '--watch', '--serve', '--port', '0', p.recipe, '--json'], { cwd: p.root, env }));
}

const urlOf = (c: CliChild): string | undefined =>
  /review sheet for .*: (http:\/\/127\.0\.0\.1:\d+\/report\/)/.exec(c.output())?.[1];

describe('run --watch --serve: the page never stops or stalls the run', () => {
  it('a page build that throws: shown on the page, warned once, the run and the watch go on', async () => {
    const em = (emulator = await startEmulator({ queueMs: 0, runMs: 20 }));
    const p = (project = await createProject(
      watchRecipe([
        ['sky', 'Keep the face unchanged. Make the sky orange.'],
        ['bag', 'Keep the face unchanged. Add a brown bag.'],
      ]),
    ));
    // The first build waits for this mutex until both nodes are done: the events meanwhile ask
    // for a second build, which runs right after it. Both throw (the hook's count), so the page's
    // error is seen twice and warned once; the recipe saved again then gives the page back.
    await holdReportMutex(p);
    const c = serveCli(p, em, {
      KONTEXT_TEST_HOOKS: '1',
      KONTEXT_TEST_THROW_AT: 'report-mutex-held',
      KONTEXT_TEST_THROW_COUNT: '2',
    });
    const detail = (): string => `output: ${c.output()}`;
    await until(() => urlOf(c) !== undefined, 20_000, 'the URL', detail);
    const stream = models(urlOf(c) as string);
    try {
      const done = (): number => cliEvents(c).filter((e) => e.type === 'node-done').length;
      await until(() => done() === 2, 20_000, 'both nodes done while the first build is held', detail);
      await release?.();
      const says = 'the review page could not be built: test hook: thrown at report-mutex-held';
      const warned = (): number => cliEvents(c).filter((e) => e.type === 'warning' && e.message.includes(says)).length;
      await until(() => warned() > 0, 20_000, 'the warning', detail);
      await until(
        () => stream.seen.some((m) => (m.buildErrors ?? []).some((e) => e.includes(says))),
        20_000,
        'the error on the page',
        detail,
      );
      expect(c.child.exitCode, detail()).toBeNull();

      // Saved again (a comment added): a watch cycle, whose events rebuild the page; nothing to pay.
      await writeFile(p.recipe, `${await readFile(p.recipe, 'utf8')}# saved again\n`);
      const states = (): string => (stream.seen.at(-1)?.nodes ?? []).map((n) => n.state).join();
      await until(() => states() === 'up-to-date,up-to-date', 30_000, 'the page built again', detail);
      expect(stream.seen.at(-1)?.buildErrors).toBeUndefined();
      expect(warned(), detail()).toBe(1);
      expect(em.requestLog().filter(isSubmit)).toHaveLength(2);
      expect(c.child.exitCode, detail()).toBeNull();
    } finally {
      stream.close();
    }
    c.child.kill('SIGINT');
    expect((await c.done).code, detail()).toBe(130);
    const kept = (await lockMatchesFiles(p)).sort((a, b) => a.node.localeCompare(b.node));
    expect(kept).toEqual([
      { node: 'bag', ok: true },
      { node: 'sky', ok: true },
    ]);
  }, 90_000);

  it('Ctrl-C while the first build waits for another report: exit 130 at once, the paid request kept', async () => {
    const em = (emulator = await startEmulator({ queueMs: 0, runMs: 20 }));
    // The request runs at the API until the watch is stopped (not a 3 s job the next run waited out).
    const releaseJob = em.hold('running');
    const p = (project = await createProject(watchRecipe([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    await holdReportMutex(p);
    const c = serveCli(p, em);
    const detail = (): string => `output: ${c.output()}`;
    await until(() => urlOf(c) !== undefined, 20_000, 'the URL', detail);
    const submitted = (): boolean => cliEvents(c).some((e) => e.type === 'node-state' && e.request_id !== undefined);
    await until(submitted, 20_000, 'the request submitted', detail);
    const sent = Date.now();
    c.child.kill('SIGINT');
    // Well under the report mutex's 10 minutes; the run itself winds down in well under a second.
    const exited = await Promise.race([
      c.done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000).unref()),
    ]);
    expect(exited?.code, `${detail()}\nafter ${Date.now() - sent} ms`).toBe(130);
    expect(em.requestLog().filter(isSubmit)).toHaveLength(1);

    // Nothing lost: a plain run re-attaches to the journaled request instead of paying again.
    await release?.();
    releaseJob();
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: em.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const again = await cli(['run', p.recipe], { cwd: p.root, env });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(em.requestLog().filter(isSubmit)).toHaveLength(1);
    expect(await lockMatchesFiles(p)).toEqual([{ node: 'sky', ok: true }]);
  }, 90_000);
});

describe('kontext report', () => {
  it('Ctrl-C while it waits for another report: exit 130 at once, no page written', async () => {
    const p = (project = await createProject(watchRecipe([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    await holdReportMutex(p);
    const c = (child = spawnCli(['report', p.recipe], { cwd: p.root, env: cliEnv(p.root, {}) }));
    const detail = (): string => `output: ${c.output()}`;
    await until(() => /waiting for another kontext report/.test(c.output()), 20_000, 'the wait', detail);
    const sent = Date.now();
    c.child.kill('SIGINT');
    const exited = await Promise.race([
      c.done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000).unref()),
    ]);
    expect(exited?.code, `${detail()}\nafter ${Date.now() - sent} ms`).toBe(130);
    expect(await readFile(join(p.outDir, 'report', 'index.html')).catch(() => null)).toBeNull();
  }, 60_000);
});
