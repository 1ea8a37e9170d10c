/**
 * `kontext run --watch --json` as a real child process (the BUILT CLI) against a standalone
 * emulator (provider runcomfy via RUNCOMFY_MODEL_API_BASE): NDJSON events on stdout, each
 * valid against the event schema; an edit re-runs exactly what changed; Ctrl-C with a
 * request queued exits 130, cancels it, leaves the journal empty and the lock valid; Ctrl-C with
 * a request running keeps it journaled, and the next plain run re-attaches to it, unpaid.
 */
import { mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cli, cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import { acceptedByPrompt, createProject, lockMatchesFiles, until, type Project } from '../../helpers/run-fixtures.js';
import { cliEvents, countEvents, submitsOf, watchRecipe } from './harness.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep the face unchanged. Add a red scarf.',
  c: 'Keep everything else unchanged. Add falling snow.',
};
const B2 = 'Keep the face unchanged. Add a blue scarf.';
const B3 = 'Keep the face unchanged. Add a purple scarf.';
const chain = (b = P.b): string =>
  watchRecipe([
    ['a', P.a],
    ['b', b],
    ['c', P.c],
  ]);

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
let child: CliChild | undefined;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  child = emulator = project = undefined;
});

const events = cliEvents;
const count = countEvents;

describe('kontext run --watch (built CLI)', () => {
  it('NDJSON: an edit re-runs what changed; Ctrl-C with a queued request: exit 130, cancelled, lock ok', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    project = await createProject(chain());
    const env = cliEnv(project.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const c = spawnCli(['run', '--watch', project.recipe, '--json'], { cwd: project.root, env });
    child = c;
    const detail = (): string => `output: ${c.output()}`;
    await until(() => count(c, 'run-summary') >= 1, 9_000, 'first run', detail);
    expect(events(c)[0]).toMatchObject({
      type: 'watch-cycle',
      changed: [],
      to_run: [{ node: 'a' }, { node: 'b' }, { node: 'c' }],
    });
    expect(
      events(c).find((e) => e.type === 'run-summary'),
      detail(),
    ).toMatchObject({ done: 3, exit_code: 0 });

    await project.writeRecipe(chain(B2));
    await until(() => count(c, 'run-summary') >= 2, 9_000, 'second run', detail);
    const second = events(c).filter((e) => e.type === 'watch-cycle')[1];
    expect(second).toMatchObject({
      changed: [project.recipe],
      to_run: [
        { node: 'b', reason: 'prompt-changed' },
        { node: 'c', reason: 'input-changed' },
      ],
    });
    expect(Object.fromEntries(acceptedByPrompt(emulator.requestLog()))).toEqual({
      [P.a]: 1,
      [P.b]: 1,
      [B2]: 1,
      [P.c]: 2,
    });
    // Each cycle's summary: what it spent (the emulator's $0.04 a request), and the session so far.
    const spent = events(c).flatMap((e) => (e.type === 'run-summary' ? [[e.cost_usd, e.session_spend]] : []));
    expect(spent, detail()).toEqual([
      [0.12, { cost_usd: 0.12, requests: 3, maybe_paid: 0, cancelled: 0, unpriced: 0, known_usd: 0.12 }],
      [0.08, { cost_usd: 0.2, requests: 5, maybe_paid: 0, cancelled: 0, unpriced: 0, known_usd: 0.2 }],
    ]);

    // A request stuck in the queue when Ctrl-C comes: cancelled, unpaid, nothing journaled.
    emulator.setScenario({ queue_ms: 30_000 });
    await project.writeRecipe(chain(B3));
    const em = emulator;
    await until(
      () =>
        submitsOf(em.requestLog(), B3).length === 1 &&
        events(c).some(
          (e) => e.type === 'node-state' && e.node === 'b' && e.phase === 'queued' && e.request_id !== undefined,
        ),
      9_000,
      'b queued',
      detail,
    );
    c.child.kill('SIGINT');
    const result = await c.done;
    expect(result.code, detail()).toBe(130);
    expect(
      emulator.requestLog().filter((e) => e.method === 'POST' && e.path.endsWith('/cancel') && e.status < 300),
    ).toHaveLength(1);
    expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
    const lock = await project.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect((await project.outFiles()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(result.stderr).not.toMatch(/test-token/);
    // The interrupted cycle's one request was cancelled while queued: not billed, so not spent, listed apart.
    const last = events(c).findLast((e) => e.type === 'run-summary');
    expect(last?.type === 'run-summary' && [last.exit_code, last.cost_usd, last.spend, last.session_spend]).toEqual([
      130,
      0,
      { requests: 0, maybe_paid: 0, cancelled: 1, unpriced: 0, known_usd: 0, by_model: [] },
      { cost_usd: 0.2, requests: 5, maybe_paid: 0, cancelled: 1, unpriced: 0, known_usd: 0.2 },
    ]);
  });

  it('Ctrl-C while a request runs (with --serve): journaled, exit 130; the next run re-attaches, unpaid', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 20 });
    // a runs at the API until the watch is stopped (not a 3 s job the next run waited out).
    const release = emulator.hold('running');
    project = await createProject(watchRecipe([['a', P.a]]));
    const env = cliEnv(project.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const c = spawnCli(['run', '--watch', '--serve', '--port', '0', project.recipe, '--json'], {
      cwd: project.root,
      env,
    });
    child = c;
    const detail = (): string => `output: ${c.output()}`;
    await until(
      () => events(c).some((e) => e.type === 'node-state' && e.node === 'a' && e.phase === 'running'),
      15_000,
      'a running',
      detail,
    );
    c.child.kill('SIGINT');
    expect((await c.done).code, detail()).toBe(130);
    // Paid and running at the API: kept in the journal, not cancelled.
    expect(await readdir(join(project.cacheDir, 'journal'))).toHaveLength(1);
    expect(emulator.requestLog().filter((e) => e.method === 'POST' && e.path.endsWith('/cancel'))).toEqual([]);

    release();
    const next = await cli(['run', project.recipe], { cwd: project.root, env });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/re-attaching to a paid request/);
    expect(Object.fromEntries(acceptedByPrompt(emulator.requestLog()))).toEqual({ [P.a]: 1 });
    expect(await readdir(join(project.cacheDir, 'journal'))).toEqual([]);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
  }, 60_000);

  it('a cycle whose run throws (its lock cannot be written): a watch-error, kind stopped; it goes on', async () => {
    emulator = await startEmulator({ queueMs: 10, runMs: 800 });
    const p = (project = await createProject(chain()));
    const env = cliEnv(p.root, {
      RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      RUNCOMFY_TOKEN: 'test-token',
    });
    const c = spawnCli(['run', '--watch', p.recipe, '--json'], { cwd: p.root, env });
    child = c;
    const detail = (): string => `output: ${c.output()}`;
    await until(() => count(c, 'node-start') >= 1, 9_000, 'the first node started', detail);
    mkdirSync(p.lockPath); // a folder where the run's lock write goes
    await until(() => count(c, 'watch-error') >= 1, 15_000, 'the watch-error', detail);
    const error = events(c).find((e) => e.type === 'watch-error');
    expect(error, detail()).toMatchObject({ kind: 'stopped', recipe: p.recipe });
    expect(JSON.stringify(error)).toContain('lock.json');
    expect(c.child.exitCode).toBeNull(); // still watching
    c.child.kill('SIGINT');
    expect((await c.done).code).toBe(130);
  }, 40_000);
});
