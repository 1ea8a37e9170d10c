/**
 * Crashes and Ctrl-C, with the BUILT CLI as a real child process against a standalone
 * emulator in this process (provider: runcomfy via RUNCOMFY_MODEL_API_BASE):
 * - kill -9 with requests in flight, then a re-run: each node submitted once (the re-run
 *   re-attaches through the journal) and every output complete;
 * - SIGINT: exit 130, queued requests cancelled, lock valid, no partial image in out/;
 * - SIGINT with requests the API will not cancel: they stay journaled and the next run
 *   re-attaches to them instead of paying again.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { ensureBuilt, type CliChild } from '../../helpers/cli-spawn.js';
import { journalEntries, journalFiles } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByPrompt,
  createProject,
  eventsOf,
  lockMatchesFiles,
  recipeYaml,
  runIn,
  summaryOf,
  until,
  type Project,
} from '../../helpers/run-fixtures.js';

const HEAD = ['hosting: { mode: inline }'];
const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep the face unchanged. Add a red scarf.',
  c: 'Keep everything else unchanged. Add falling snow.',
  d: 'Keep the face unchanged. Add round glasses.',
};

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();

/** Spawn the CLI; afterEach kills it if a test failed half-way. */
const spawnRun = (p: Project, args: readonly string[], env: Record<string, string>): CliChild =>
  children.spawn(['run', p.recipe, ...args], p, env);

const describeChild = (c: CliChild): string =>
  `child exit ${String(c.child.exitCode ?? c.child.signalCode)}, output: ${c.output()}`;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

/** Request ids that have been polled at least once: their journal entry is on disk (it is written before polling). */
function polledIds(log: readonly RequestLogEntry[]): Set<string> {
  return new Set(
    log.filter((e) => e.method === 'GET' && e.path.endsWith('/status')).map((e) => e.path.split('/')[3] ?? ''),
  );
}

/** Journal entries that hold a request id (an intent written before the submit has none yet). */
async function journaledIds(p: Project): Promise<string[]> {
  return (await journalEntries(p.cacheDir)).flatMap((e) => (typeof e.request_id === 'string' ? [e.request_id] : []));
}

async function statusOf(e: EmulatorHandle, id: string): Promise<string> {
  const res = await fetch(`${e.baseUrl}/requests/${id}/status`, { headers: { authorization: 'Bearer test-token' } });
  return String(((await res.json()) as { status?: unknown }).status);
}

describe('crash safety (built CLI child)', () => {
  it('kill -9 with requests in flight, then a re-run: no duplicate submits, every output complete', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 50 });
    project = await createProject(
      recipeYaml(
        [
          ['a', P.a],
          ['b', P.b],
          ['c', P.c, 'from: a'],
        ],
        HEAD,
      ).replace('provider: emulator', 'provider: runcomfy'),
    );
    const env = runcomfyAt(emulator);
    const em = emulator;
    const child = spawnRun(project, ['-j', '4', '--json'], env);
    await until(
      () => acceptedByPrompt(em.requestLog()).has(P.a),
      20_000,
      'the first submit',
      () => describeChild(child),
    );
    // a (already submitted) stays quick; b and c will still be running at the kill
    emulator.setScenario({ run_ms: 3_000 });
    await until(
      () => polledIds(em.requestLog()).size >= 3,
      20_000,
      'b and c polled',
      () => describeChild(child),
    );
    // The lock is written as each node finishes, not at the end.
    expect(Object.keys((await project.readLock()).nodes)).toEqual(['a']);
    // a's journal entry goes right after the lock names it: kill once it has (a leftover of a node
    // the lock proves is ignored, then removed, by the next run: journal-settled.ts).
    const { cacheDir } = project;
    await until(async () => (await journalFiles(cacheDir)).length === 2, 20_000, "a's journal entry removed");
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    expect(await journalFiles(project.cacheDir)).toHaveLength(2);

    const rerun = await runIn(project, {}, { env });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, done: 2, cached: 1, failed: 0, submitted: 0 });
    const reattached = eventsOf(rerun.events, 'node-state')
      .filter((e) => e.phase === 'reattaching')
      .map((e) => e.node);
    expect(reattached.sort()).toEqual(['b', 'c']);
    expect(Object.fromEntries(acceptedByPrompt(emulator.requestLog()))).toEqual({ [P.a]: 1, [P.b]: 1, [P.c]: 1 });
    const lock = await project.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(await journalFiles(project.cacheDir)).toEqual([]);
  }, 40_000);

  it('provider: emulator, kill -9 mid-request: the request died with the emulator; the run resubmits', async () => {
    project = await createProject(recipeYaml([['a', P.a]]));
    const child = spawnRun(project, [], { KONTEXT_EMULATOR_QUEUE_MS: '10', KONTEXT_EMULATOR_RUN_MS: '30000' });
    const p = project;
    await until(
      async () => (await journaledIds(p)).length === 1,
      20_000,
      'the journal entry with its request id',
      () => describeChild(child),
    );
    child.child.kill('SIGKILL');
    await child.done;
    const rerun = await runIn(project, {}, { env: { KONTEXT_EMULATOR_QUEUE_MS: '5', KONTEXT_EMULATOR_RUN_MS: '10' } });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, done: 1, submitted: 1 });
    expect(eventsOf(rerun.events, 'node-state').some((e) => e.node === 'a' && e.phase === 'reattaching')).toBe(true);
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(await journalFiles(project.cacheDir)).toEqual([]);
  }, 40_000);

  it('SIGINT: exit 130, queued requests cancelled, lock valid, no partial image', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 20 });
    const env = runcomfyAt(emulator);
    project = await createProject(recipeYaml([['a', P.a]], HEAD).replace('provider: emulator', 'provider: runcomfy'));
    expect(summaryOf(await runIn(project, {}, { env })).exitCode).toBe(0);
    const lockBefore = await project.readLock();
    await project.writeRecipe(
      recipeYaml(
        [
          ['a', P.a],
          ['b', P.b, 'from: photo'],
          ['c', P.c, 'from: photo'],
          ['d', P.d, 'from: photo'],
        ],
        HEAD,
      ).replace('provider: emulator', 'provider: runcomfy'),
    );
    emulator.setScenario({ queue_ms: 60_000 });
    const start = emulator.requestLog().length;
    const child = spawnRun(project, ['-j', '8'], env);
    const em = emulator;
    await until(
      () => polledIds(em.requestLog().slice(start)).size >= 3,
      20_000,
      'three submits polled',
      () => describeChild(child),
    );
    child.child.kill('SIGINT');
    const result = await child.done;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toContain('outcome unknown'); // all cancelled: nothing paid is left

    const log = emulator.requestLog().slice(start);
    const submitted = [...polledIds(log)];
    const cancels = log.filter((e) => e.method === 'POST' && e.path.endsWith('/cancel'));
    expect(cancels.map((e) => e.path.split('/')[3]).sort()).toEqual([...submitted].sort());
    for (const id of submitted) expect(await statusOf(emulator, id)).toBe('cancelled');
    expect(await project.readLock()).toEqual(lockBefore);
    expect(await project.outFiles()).toEqual(['out/test/a/photo.png']);
    expect(await journalFiles(project.cacheDir)).toEqual([]);
  }, 40_000);

  it('SIGINT with requests that cannot be cancelled: they stay journaled and the next run re-attaches', async () => {
    emulator = await startEmulator({ queueMs: 20, runMs: 20, scenario: { faults: [{ kind: 'not-cancellable' }] } });
    // Both stay queued until the run has stopped.
    const release = emulator.hold('queued');
    const env = runcomfyAt(emulator);
    project = await createProject(
      recipeYaml(
        [
          ['b', P.b],
          ['c', P.c, 'from: photo'],
        ],
        HEAD,
      ).replace('provider: emulator', 'provider: runcomfy'),
    );
    const child = spawnRun(project, ['-j', '8'], env);
    const em = emulator;
    await until(
      () => polledIds(em.requestLog()).size >= 2,
      20_000,
      'two submits polled',
      () => describeChild(child),
    );
    child.child.kill('SIGINT');
    const stopped = await child.done;
    expect(stopped.code).toBe(130);
    // The log says which paid requests are left at the API (a CI runner's cache goes with the job).
    expect(stopped.stderr).toMatch(/ · left at the API 2 \((b, c|c, b)\) · /);
    // Said as what it is: no cause to fix, no reason to submit again (walk-ak 6).
    expect(stopped.stderr).toMatch(
      /paid, left at the API when the run was interrupted: (b, c|c, b) \(their request ids/,
    );
    expect(stopped.stderr).toMatch(/; run the same command again to take their results at no new charge/);
    expect(stopped.stderr).not.toMatch(/outcome unknown|--resubmit-uncertain|once the cause is fixed/);
    expect(emulator.requestLog().filter((e) => e.path.endsWith('/cancel'))).toHaveLength(2);
    expect(await journalFiles(project.cacheDir)).toHaveLength(2);
    expect(await project.outFiles().catch(() => [])).toEqual([]);

    release();
    const rerun = await runIn(project, {}, { env });
    expect(summaryOf(rerun)).toMatchObject({ exitCode: 0, done: 2, submitted: 0 });
    expect(Object.fromEntries(acceptedByPrompt(emulator.requestLog()))).toEqual({ [P.b]: 1, [P.c]: 1 });
    expect((await lockMatchesFiles(project)).every((r) => r.ok)).toBe(true);
    expect(await journalFiles(project.cacheDir)).toEqual([]);
  }, 40_000);
});
