/**
 * `kontext gc --max-size 1B` beside a `kontext run` on the same cache, both the BUILT CLI as real
 * children, frozen at named points (cli/test-hooks.ts: `KONTEXT_TEST_PAUSE_AT`) so the other one
 * runs exactly in that window. A paid result that no lock names yet is needed by the run (or, after a
 * kill -9, by the next one): gc keeps its record and blob whether the run claimed its journal entry
 * after gc read the journal, or finished (lock written, journal entry dropped) while gc was
 * starting. The next run then takes it from the cache: no new request, no second download.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { acceptedByPrompt, createProject, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const PROMPT = 'Keep the face unchanged. Make the sky orange.';
const RECIPE = recipeYaml([['a', PROMPT]], ['hosting: { mode: inline }']).replace(
  'provider: emulator',
  'provider: runcomfy',
);

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();
const gcs: CliChild[] = [];

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  for (const g of gcs.splice(0)) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** `kontext gc --max-size 1B` in the project, frozen at `pauseAt` until `pauseFile` is removed. */
function gcPausedAt(p: Project, pauseAt: string, pauseFile: string): CliChild {
  const env = cliEnv(p.root, {
    KONTEXT_TEST_HOOKS: '1',
    KONTEXT_TEST_PAUSE_AT: pauseAt,
    KONTEXT_TEST_PAUSE_FILE: pauseFile,
  });
  const child = spawnCli(['gc', '--max-size', '1B'], { cwd: p.root, env });
  gcs.push(child);
  return child;
}

/** The cache's run records and blobs (paths under the cache dir). */
async function cached(p: Project): Promise<{ records: string[]; blobs: string[] }> {
  const files = async (dir: string): Promise<string[]> =>
    (await readdir(join(p.cacheDir, dir), { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((d) => d.isFile() && !d.name.startsWith('.'))
      .map((d) => join(d.parentPath, d.name).slice(p.cacheDir.length + 1))
      .sort();
  return { records: await files('records'), blobs: await files('blobs') };
}

/** Reads of a finished request's result (a download follows each): a re-attach reads it again, a cache hit does not. */
const resultReads = (log: readonly RequestLogEntry[]): number =>
  log.filter((e) => e.method === 'GET' && /^\/v1\/requests\/[^/]+\/result$/.test(e.path)).length;

describe('kontext gc while a run has a paid result no lock names yet (built CLI)', () => {
  it('the run claims, pays and records after gc read the journal, then is killed: gc keeps the result', async () => {
    emulator = await startEmulator({ queueMs: 50, runMs: 200 });
    const em = emulator;
    project = await createProject(RECIPE);
    const p = project;
    await mkdir(p.cacheDir, { recursive: true });
    const gcPause = join(p.root, 'gc.paused');
    const gc = gcPausedAt(p, 'gc-roots-read', gcPause);
    await until(() => exists(gcPause), 20_000, 'gc to read the journal and the locks', gc.output);

    const env = { ...runcomfyAt(em), KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'after-record' };
    const run = children.run(p, env);
    expect((await run.done).signal, run.output()).toBe('SIGKILL');
    const paid = await cached(p);
    expect(paid.records).toHaveLength(1);

    await rm(gcPause);
    const gcDone = await gc.done;
    expect(gcDone.code, gc.output()).toBe(0);
    // The paid record and its blob are still there (the journal entry names the request).
    const after = await cached(p);
    expect(after.records).toEqual(paid.records);
    expect(after.blobs).toEqual(expect.arrayContaining(paid.blobs));

    const reads = resultReads(em.requestLog());
    const again = children.run(p, runcomfyAt(em));
    expect((await again.done).code, again.output()).toBe(0);
    expect(acceptedByPrompt(em.requestLog()).get(PROMPT)).toBe(1);
    expect(resultReads(em.requestLog())).toBe(reads); // from the cache, not downloaded again
  }, 60_000);

  it('the run writes its lock and drops its journal entry while gc starts: gc keeps what the lock names', async () => {
    emulator = await startEmulator({ queueMs: 50, runMs: 200 });
    const em = emulator;
    project = await createProject(RECIPE);
    const p = project;
    // The run has the paid result recorded and is frozen before its out/ copy and its lock.
    const runPause = join(p.root, 'run.paused');
    const env = { ...runcomfyAt(em), KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_PAUSE_AT: 'after-record' };
    const run = children.run(p, { ...env, KONTEXT_TEST_PAUSE_FILE: runPause });
    await until(() => exists(runPause), 20_000, 'the run to record its result', run.output);
    const paid = await cached(p);
    expect(paid.records).toHaveLength(1);

    // gc starts; before it reads anything, the run finishes: out/, the lock, the journal entry gone.
    const gcPause = join(p.root, 'gc.paused');
    const gc = gcPausedAt(p, 'gc-started', gcPause);
    await until(() => exists(gcPause), 20_000, 'gc to start', gc.output);
    await rm(runPause);
    expect((await run.done).code, run.output()).toBe(0);
    expect(Object.keys((await p.readLock()).nodes)).toEqual(['a']);

    await rm(gcPause);
    const gcDone = await gc.done;
    expect(gcDone.code, gc.output()).toBe(0);
    const after = await cached(p);
    expect(after.records).toEqual(paid.records);
    expect(after.blobs).toEqual(expect.arrayContaining(paid.blobs));
    expect(gcDone.stdout).toMatch(/^gc: removed 0 records and 0 blobs/);
  }, 60_000);
});
