/**
 * What end-to-end files share: ONE standalone emulator per file (started before its tests, its
 * request log counting every paid submit), temp folders removed after each test, project
 * folders with the example portrait, and the built CLI pointed at the emulator.
 */
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '../../src/index.js';
import { cli, cliEnv, ensureBuilt } from './cli-spawn.js';
import { ASSETS } from './run-fixtures.js';

const dirs: string[] = [];

/**
 * Registers this file's hooks: build the CLI and start the emulator before its tests, close it
 * after, remove every {@link tempDir} after each test. Returns the emulator (once started).
 */
export function useEmulator(options: EmulatorOptions = { queueMs: 5, runMs: 10 }): () => EmulatorHandle {
  let emulator: EmulatorHandle | undefined;
  beforeAll(async () => {
    await ensureBuilt();
    emulator = await startEmulator(options);
  }, 180_000);
  afterAll(async () => {
    await emulator?.close();
  });
  afterEach(cleanDirs);
  return () => {
    if (emulator === undefined) throw new Error('the emulator is started in beforeAll');
    return emulator;
  };
}

async function cleanDirs(): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}

/** A temp folder, removed after the test. */
export async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kontext-${name}-`));
  dirs.push(dir);
  return dir;
}

/** A project (a git root) with the example portrait as `assets/portrait-astronaut.jpg` and `recipe.yml`. */
export async function project(yaml: string): Promise<string> {
  const root = await tempDir('proj');
  await mkdir(join(root, '.git'));
  await mkdir(join(root, 'assets'));
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait-astronaut.jpg'));
  await writeFile(join(root, 'recipe.yml'), yaml);
  return root;
}

/** Every file under `dir` (relative, sorted). */
export async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

/** Paid RunComfy submits the emulator received so far (its own input fetches left out). */
export function submits(emulator: EmulatorHandle): number {
  return emulator.requestLog().filter((e) => e.method === 'POST' && e.path.startsWith('/v1/models/') && !e.internal)
    .length;
}

/** A user-wide cache under `home` (XDG_CACHE_HOME), the runcomfy provider pointed at `emulator`. */
export function runcomfyEnv(
  emulator: EmulatorHandle,
  home: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return cliEnv(home, {
    RUNCOMFY_MODEL_API_BASE: emulator.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    ...extra,
  });
}

/** Run the CLI (exit 0 expected) and return how many RunComfy submits it paid for. */
export async function paid(
  emulator: EmulatorHandle,
  args: readonly string[],
  cwd: string,
  env: Record<string, string>,
): Promise<number> {
  const before = submits(emulator);
  const r = await cli(args, { cwd, env });
  expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return submits(emulator) - before;
}
