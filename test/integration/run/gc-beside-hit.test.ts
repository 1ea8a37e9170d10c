/**
 * `kontext gc` run from a third project (whose folder holds no lock naming the result) while a
 * `kontext run` on the same cache takes a cache hit, both the BUILT CLI as real children, frozen
 * at named points (cli/test-hooks.ts: `KONTEXT_TEST_PAUSE_AT`): the run has read its record and
 * marked it used (`cache-hit`) but not yet copied the blob to out/. gc must not remove the
 * record or the blob the hit goes on to read: by size, by an age shorter than the once-a-minute
 * "last used" bump, and when the hit marks the record while gc's scan is already done. The run
 * then restores its output from the cache with no new request.
 */
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { acceptedByPrompt, createProject, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const PROMPT = 'Keep the face unchanged. Make the sky teal.';
const RECIPE = recipeYaml([['a', PROMPT]], ['hosting: { mode: inline }']).replace(
  'provider: emulator',
  'provider: runcomfy',
);
const DAY = 86_400_000;

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();
const gcs: CliChild[] = [];
const dirs: string[] = [];

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  children.killAll();
  for (const g of gcs.splice(0)) if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill('SIGKILL');
  await emulator?.close();
  await project?.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  emulator = undefined;
  project = undefined;
});

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The cache's record and blob files (absolute paths). */
async function cacheFiles(p: Project): Promise<string[]> {
  const files = async (dir: string): Promise<string[]> =>
    (await readdir(join(p.cacheDir, dir), { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((d) => d.isFile() && !d.name.startsWith('.'))
      .map((d) => join(d.parentPath, d.name));
  return [...(await files('records')), ...(await files('blobs'))].sort();
}

/** `kontext gc <args> --cache-dir <p's cache>` from another, empty project folder; frozen at `pauseAt` if given. */
async function gcElsewhere(
  p: Project,
  args: readonly string[],
  pause?: { at: string; file: string },
): Promise<CliChild> {
  const other = await mkdtemp(join(tmpdir(), 'kontext-third-'));
  dirs.push(other);
  const hooks: Record<string, string> = pause
    ? { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_PAUSE_AT: pause.at, KONTEXT_TEST_PAUSE_FILE: pause.file }
    : {};
  const child = spawnCli(['gc', ...args, '--cache-dir', p.cacheDir], { cwd: other, env: cliEnv(other, hooks) });
  gcs.push(child);
  return child;
}

/** One result paid and cached, its out/ file deleted: the next run is a cache hit that copies it out. */
async function paidThenOutDeleted(): Promise<{ p: Project; em: EmulatorHandle; files: string[] }> {
  emulator = await startEmulator({ queueMs: 5, runMs: 10 });
  const em = emulator;
  project = await createProject(RECIPE);
  const p = project;
  const first = children.run(p, runcomfyAt(em));
  expect((await first.done).code, first.output()).toBe(0);
  expect(acceptedByPrompt(em.requestLog()).get(PROMPT)).toBe(1);
  await rm(p.outDir, { recursive: true, force: true });
  return { p, em, files: await cacheFiles(p) };
}

/** `kontext run` frozen at `cache-hit`: its record read and marked used, the blob not yet copied. */
async function hitFrozen(p: Project, em: EmulatorHandle): Promise<{ run: CliChild; resume: () => Promise<void> }> {
  const file = join(p.root, 'run.paused');
  const env = { ...runcomfyAt(em), KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_PAUSE_AT: 'cache-hit' };
  const run = children.run(p, { ...env, KONTEXT_TEST_PAUSE_FILE: file });
  await until(() => exists(file), 20_000, 'the run to take its cache hit', run.output);
  return { run, resume: () => rm(file) };
}

async function restoredWithoutRequest(p: Project, em: EmulatorHandle, run: CliChild): Promise<void> {
  expect((await run.done).code, run.output()).toBe(0);
  const out = (await readdir(p.outDir, { recursive: true })).filter((n) => /\.(png|jpg|webp)$/.test(String(n)));
  expect(out).toHaveLength(1);
  expect(acceptedByPrompt(em.requestLog()).get(PROMPT)).toBe(1);
}

describe('kontext gc from a third project while a run takes a cache hit (built CLI)', () => {
  it.each([
    ['--max-size 1B', ['--max-size', '1B']],
    ['--older-than 1s (shorter than the once-a-minute "last used" bump)', ['--older-than', '1s']],
  ])(
    '%s: the record and blob the hit is using stay; the run restores its output',
    async (_, args) => {
      const { p, em, files } = await paidThenOutDeleted();
      const { run, resume } = await hitFrozen(p, em);
      const gc = await gcElsewhere(p, args);
      const done = await gc.done;
      expect(done.code, gc.output()).toBe(0);
      expect(await cacheFiles(p)).toEqual(files);
      await resume();
      await restoredWithoutRequest(p, em, run);
    },
    60_000,
  );

  it('--older-than 30d, record unused for 40 days: the hit marks it after gc scanned; gc puts it back', async () => {
    const { p, em, files } = await paidThenOutDeleted();
    const t = (Date.now() - 40 * DAY) / 1000;
    for (const f of files) await utimes(f, t, t);
    const gcPause = join(p.root, 'gc.paused');
    const gc = await gcElsewhere(p, ['--older-than', '30d'], { at: 'gc-roots-read', file: gcPause });
    await until(() => exists(gcPause), 20_000, 'gc to scan the cache', gc.output);
    const { run, resume } = await hitFrozen(p, em);
    await rm(gcPause);
    const done = await gc.done;
    expect(done.code, gc.output()).toBe(0);
    expect(await cacheFiles(p)).toEqual(files);
    expect(done.stdout).toMatch(/^gc: removed 0 records and 0 blobs/);
    await resume();
    await restoredWithoutRequest(p, em, run);
  }, 60_000);
});
