/**
 * A full disk (a real ENOSPC) under the cache, under out/ and under the lock, with the BUILT CLI
 * as a real child against a standalone emulator. Each disk is a small tmpfs mounted for the test
 * and filled by a filler file; the test needs `mount -t tmpfs` (root, or a container that allows
 * it). Where mounting is impossible each test is skipped and says why on stderr; anywhere else it
 * runs. Expected: one clear line naming the path, exit 73 (CANTCREAT), no torn file under a final
 * name, and the paid result kept (in the journal or the cache), so once space is freed the next
 * run pays nothing and exits 0.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import { isTempName } from '../../../src/store/atomic.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { journalEntries } from '../../helpers/journal-files.js';
import { runChildren, runcomfyAt } from '../../helpers/run-children.js';
import { createProject, lockMatchesFiles, recipeYaml, until, type Project } from '../../helpers/run-fixtures.js';

const run = promisify(execFile);
const PROMPT = 'Keep the face unchanged. Make the sky orange.';
const OTHER = 'Keep the face unchanged. Add a red scarf.';
const RECIPE = recipeYaml([['a', PROMPT, 'from: photo']], ['hosting: { mode: inline }']).replace(
  'provider: emulator',
  'provider: runcomfy',
);

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
const children = runChildren();
const mounts: string[] = [];
/** Why tmpfs cannot be mounted here (null: it can). */
let cannotMount: string | null = null;

async function mountTmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  mounts.push(dir);
}

beforeAll(async () => {
  await ensureBuilt();
  const probe = await mkdtemp(join(tmpdir(), 'kontext-mount-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    await run('umount', [probe]);
  } catch (e) {
    cannotMount = `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0] ?? ''})`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}, 180_000);
afterEach(async () => {
  children.killAll();
  await emulator?.close();
  for (const dir of mounts.splice(0).reverse()) await run('umount', ['-l', dir]).catch(() => undefined);
  await project?.cleanup();
  emulator = undefined;
  project = undefined;
});
afterAll(() => {
  if (cannotMount !== null) process.stderr.write(`disk-full.test.ts: SKIPPED: ${cannotMount}\n`);
});

const paid = (log: readonly RequestLogEntry[]): number =>
  log.filter((e) => !e.internal && e.method === 'POST' && e.path.startsWith('/v1/models/') && e.status === 200).length;

/** Fill the file system of `dir` with one file until ENOSPC; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const path = join(dir, 'filler.bin');
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOSPC') throw e;
  } finally {
    await handle.close();
  }
  // The last partial pages too: a write of a few bytes still fits otherwise.
  const tail = await open(path, 'a');
  try {
    for (;;) await tail.write(Buffer.alloc(512, 1));
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOSPC') throw e;
  } finally {
    await tail.close();
  }
  return path;
}

/** Every non-temp file under `dir` (recursively). */
async function finalFiles(dir: string): Promise<string[]> {
  const found = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return found.filter((d) => d.isFile() && !isTempName(d.name)).map((d) => join(d.parentPath, d.name));
}

/** The one error line of the run (the JSON reporter's node-failed message, or stderr's first line). */
function failure(out: string): { readonly message: string; readonly exit: number | undefined } {
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { type: string; message?: string; exit_code?: number };
    if (e.type === 'node-failed') return { message: e.message ?? '', exit: e.exit_code };
  }
  return { message: '', exit: undefined };
}

describe('a full disk (real ENOSPC on a tmpfs)', () => {
  it('under the cache at the download: exit 73 naming it; journaled; freed, the re-run re-attaches', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 100, runMs: 20 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    await mountTmpfs(join(p.root, '.cache'), '4m');
    // The job is held at the API until the disk is full.
    const release = em.hold('running');
    const child = children.run(p, env);
    // Once polled, the request is journaled: then the disk fills before the output arrives.
    await until(() => em.requestLog().some((e) => e.path.startsWith('/v1/requests/')), 20_000, 'a poll', child.output);
    const filler = await fill(join(p.root, '.cache'));
    release();
    const done = await child.done;
    const { message, exit } = failure(done.stdout);
    expect(done.code, child.output()).toBe(73);
    expect(exit).toBe(73);
    expect(message).toContain('ENOSPC');
    expect(message).toContain(p.cacheDir);
    expect(message).not.toContain('\n');
    expect(done.stderr).not.toMatch(/\n\s+at /);
    expect((await journalEntries(p.cacheDir)).map((e) => [e.node, typeof e.request_id])).toEqual([['a', 'string']]);
    expect(await finalFiles(join(p.root, 'out'))).toEqual([]);
    expect(paid(em.requestLog())).toBe(1);

    await rm(filler);
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    expect(paid(em.requestLog())).toBe(1);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
  }, 60_000);

  // The claim's write failed as a bare "ENOSPC: no space left on device, write", exit 70 (an
  // internal error), naming no file.
  it('under the cache before the claim: exit 73 naming the journal entry, nothing paid; freed, paid', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 20, runMs: 150 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    await mountTmpfs(join(p.root, '.cache'), '4m');
    const first = await children.run(p, env).done;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await p.writeRecipe(RECIPE.replace(PROMPT, OTHER));
    const filler = await fill(join(p.root, '.cache'));
    const child = children.run(p, env);
    const done = await child.done;
    const { message, exit } = failure(done.stdout);
    expect(done.code, child.output()).toBe(73);
    expect(exit).toBe(73);
    expect(message).toMatch(/^cannot write .*\/journal\/[0-9a-f]{64}\.json \(ENOSPC\)/);
    expect(message).toContain(p.cacheDir);
    expect(done.stdout).toContain('the disk is full: free some space; nothing was submitted for this node');
    expect(done.stderr).not.toMatch(/\n\s+at /);
    expect(paid(em.requestLog())).toBe(1);
    expect(await journalEntries(p.cacheDir)).toEqual([]);

    await rm(filler);
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    expect(paid(em.requestLog())).toBe(2);
  }, 60_000);

  // The claim took the last free page; the reply's request id then found no room for the temp of
  // its rewrite: the node failed with a bare ENOSPC, the run stopped waiting for a paid request,
  // and the journal kept only the intent, so the next run stopped at a "maybe paid" (exit 75)
  // and the result could only be paid again.
  it('under the cache right after the submit: the request id kept; freed, the re-run re-attaches', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 20, runMs: 150 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    await mountTmpfs(join(p.root, '.cache'), '1m');
    const first = await children.run(p, env).done;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await p.writeRecipe(RECIPE.replace(PROMPT, OTHER));
    const filler = await fill(join(p.root, '.cache'));
    await truncate(filler, (await stat(filler)).size - 4096); // one page: the claim's
    const child = children.run(p, env);
    const done = await child.done;
    const { message, exit } = failure(done.stdout);
    expect(done.code, child.output()).toBe(73);
    expect(exit).toBe(73);
    expect(message).toMatch(/^cannot write .*\(ENOSPC\)/);
    expect(done.stdout).toContain('the request is journaled');
    expect((await journalEntries(p.cacheDir)).map((e) => [e.node, typeof e.request_id])).toEqual([['a', 'string']]);
    expect(paid(em.requestLog())).toBe(2);

    await rm(filler);
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    expect(paid(em.requestLog())).toBe(2);
    expect(await journalEntries(p.cacheDir)).toEqual([]);
  }, 60_000);

  it('under out/: exit 73 naming the output, the result cached; freed, the re-run pays nothing', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 20, runMs: 150 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await createProject(RECIPE);
    const p = project;
    await mountTmpfs(join(p.root, 'out'), '1m');
    const filler = await fill(join(p.root, 'out'));
    const child = children.run(p, env);
    const done = await child.done;
    const { message, exit } = failure(done.stdout);
    expect(done.code, child.output()).toBe(73);
    expect(exit).toBe(73);
    expect(message).toContain('ENOSPC');
    expect(message).toContain(join(p.outDir, 'a'));
    expect(done.stderr).not.toMatch(/\n\s+at /);
    expect((await finalFiles(join(p.root, 'out'))).filter((f) => f !== filler)).toEqual([]);
    expect(paid(em.requestLog())).toBe(1);

    await rm(filler);
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    expect(paid(em.requestLog())).toBe(1);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
  }, 60_000);

  /** The project folder itself (recipe, assets, lock) on a small disk of its own, out/ and the cache on others. */
  async function projectOnTmpfs(recipe: string): Promise<Project> {
    const made = await createProject(recipe);
    const root = await mkdtemp(join(tmpdir(), 'kontext-full-'));
    await mountTmpfs(root, '2m');
    await cp(made.root, root, { recursive: true });
    await made.cleanup();
    const lockPath = join(root, 'recipe.lock.json');
    const p: Project = {
      ...made,
      root,
      recipe: join(root, 'recipe.yml'),
      lockPath,
      cacheDir: join(root, '.cache', 'kontext'),
      outDir: join(root, 'out', 'test'),
      writeRecipe: (text) => writeFile(join(root, 'recipe.yml'), text),
      readLock: async () => JSON.parse(await readFile(lockPath, 'utf8')),
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
    await mountTmpfs(join(root, 'out'), '8m');
    await mountTmpfs(join(root, '.cache'), '16m');
    return p;
  }

  it('beside the lock before the run: exit 73 naming the run lock, nothing paid, no .lck left', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 20, runMs: 150 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await projectOnTmpfs(RECIPE);
    const p = project;
    const filler = await fill(p.root);
    const child = children.run(p, env);
    const done = await child.done;
    expect(done.code, child.output()).toBe(73);
    expect(done.stderr).toContain(`cannot write ${p.lockPath}.run.lck (ENOSPC)`);
    expect(done.stderr).not.toMatch(/\n\s+at /);
    expect(paid(em.requestLog())).toBe(0);
    // No empty mutex file left behind (a run lock without a pid would block every later run).
    expect((await readdir(p.root)).filter((n) => n.includes('.lck'))).toEqual([]);

    await rm(filler);
    const again = await children.run(p, env).done;
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(paid(em.requestLog())).toBe(1);
  }, 60_000);

  it('beside the lock during the run: exit 73 naming it, the old lock whole; the re-run pays nothing', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    emulator = await startEmulator({ queueMs: 100, runMs: 20 });
    const em = emulator;
    const env = runcomfyAt(em);
    project = await projectOnTmpfs(RECIPE);
    const p = project;
    const first = await children.run(p, env).done;
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const oldLock = await readFile(p.lockPath, 'utf8');
    await p.writeRecipe(
      recipeYaml(
        [
          ['a', PROMPT, 'from: photo'],
          ['b', OTHER, 'from: photo'],
        ],
        ['hosting: { mode: inline }'],
      ).replace('provider: emulator', 'provider: runcomfy'),
    );
    // b is held at the API until the disk is full.
    const release = em.hold('running');
    const child = children.run(p, env);
    await until(
      () => em.requestLog().filter((e) => e.path.startsWith('/v1/requests/')).length > 0 && paid(em.requestLog()) === 2,
      20_000,
      'b at the API',
      child.output,
    );
    const filler = await fill(p.root);
    release();
    const done = await child.done;
    expect(done.code, child.output()).toBe(73);
    expect(done.stderr).toContain(`cannot write ${p.lockPath} (ENOSPC)`);
    expect(done.stderr).toContain('the old lock is unchanged');
    expect(done.stderr).not.toMatch(/\n\s+at /);
    expect(await readFile(p.lockPath, 'utf8')).toBe(oldLock);
    expect(await finalFiles(join(p.root, 'out'))).toHaveLength(2);
    expect(paid(em.requestLog())).toBe(2);

    await rm(filler);
    const again = children.run(p, env);
    const second = await again.done;
    expect(second.code, again.output()).toBe(0);
    expect(paid(em.requestLog())).toBe(2);
    expect(Object.keys((await p.readLock()).nodes).sort()).toEqual(['a', 'b']);
    expect((await lockMatchesFiles(p)).every((r) => r.ok)).toBe(true);
  }, 60_000);
});
