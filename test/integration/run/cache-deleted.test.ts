/**
 * The cache folder deleted while a run is going (`rm -rf` by a person, or another tool's gc):
 * the BUILT CLI as a real child against a slowed standalone emulator, the cache removed while a
 * request is at the API (paid, journaled). The run does not crash: it finishes the paid request,
 * writes out/ and the lock, exits 0; a re-run pays nothing. The journal entries of the requests
 * at the API went with the cache: the run writes them again (with a warning), so a kill -9 after
 * that still re-attaches instead of paying again.
 */
import { rm } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import {
  acceptedByPrompt,
  createProject,
  lockMatchesFiles,
  recipeYaml,
  until,
  type Project,
} from '../../helpers/run-fixtures.js';

const P = {
  a: 'Keep the face unchanged. Make the sky orange.',
  b: 'Keep everything else unchanged. Add a red scarf.',
  c: 'Keep the face unchanged. Add round glasses.',
} as const;
const RECIPE = recipeYaml(
  [
    ['a', P.a, 'from: photo'],
    ['b', P.b, 'from: a'],
    ['c', P.c, 'from: photo'],
  ],
  ['hosting: { mode: inline }'],
).replace('provider: emulator', 'provider: runcomfy');

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const paid = (log: readonly RequestLogEntry[], prompt: string): number => acceptedByPrompt(log).get(prompt) ?? 0;

/** A status or result read: the journal entry of the request is on disk (the first poll waits for it). */
const polled = (log: readonly RequestLogEntry[]): boolean =>
  log.some((e) => e.method === 'GET' && e.path.startsWith('/v1/requests/'));

describe('the cache folder deleted mid-run (built CLI)', () => {
  it('requests at the API: no crash, results in out/ and the lock, exit 0; a re-run pays nothing', async () => {
    // The cache goes while a and c are at the API: held there until it is gone.
    emulator = await startEmulator({ queueMs: 300, runMs: 20 });
    const em = emulator;
    const release = em.hold('running');
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    const run = children.run(p, env);
    await until(() => polled(em.requestLog()), 20_000, 'the first poll', run.output);
    await rm(p.cacheDir, { recursive: true, force: true });
    release();
    const done = await run.done;
    expect(done.code, run.output()).toBe(0);
    expect(done.stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const prompt of Object.values(P)) expect(paid(em.requestLog(), prompt)).toBe(1);
    const lock = await p.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual(['a', 'b', 'c']);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);

    // Everything is in out/ and the lock: the next run pays nothing (the cache is rebuilt from them).
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    for (const prompt of Object.values(P)) expect(paid(em.requestLog(), prompt)).toBe(1);
  }, 60_000);

  it('then kill -9: the requests were journaled again, so the next run re-attaches, pays nothing', async () => {
    emulator = await startEmulator({ queueMs: 300, runMs: 20 });
    const em = emulator;
    // a and c stay at the API until the run is killed, however long the steps below take.
    const release = em.hold('running');
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    const run = children.run(p, env);
    // a and c at the API, both journaled by request id (b waits for a).
    const journaledIds = async (): Promise<string[]> =>
      (await journalEntries(p.cacheDir))
        .filter((e) => e.request_id !== undefined)
        .map((e) => e.node)
        .sort();
    await until(async () => (await journaledIds()).length === 2, 20_000, 'a and c journaled', run.output);
    expect(await journaledIds()).toEqual(['a', 'c']);
    await rm(p.cacheDir, { recursive: true, force: true });
    // Written again within about a second, with their request ids, while a and c are still running.
    await until(
      async () => (await journalEntries(p.cacheDir)).filter((e) => e.request_id !== undefined).length === 2,
      10_000,
      'the journal written again',
      run.output,
    );
    const warning = 'was deleted during the run: 2 request(s) at the API journaled again';
    await until(() => run.output().includes(warning), 10_000, 'the warning', run.output);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    expect(paid(em.requestLog(), P.b)).toBe(0);
    release();

    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    // a and c re-attached (paid once, in the killed run); only b submitted now.
    for (const prompt of Object.values(P)) expect(paid(em.requestLog(), prompt)).toBe(1);
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['a', 'b', 'c']);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
  }, 60_000);
});
