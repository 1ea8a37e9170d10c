/**
 * What the `kontext clean` and `kontext gc` e2e tests share (clean-gc.test.ts, gc-cli.test.ts): the
 * prompts and recipes, a cache dir, emulator rig and project per test, the built CLI with that
 * cache, an in-process run on the rig, and the state of out/.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import {
  createProject,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../helpers/run-fixtures.js';

export const DAY = 86_400_000;
const BG = 'Keep the face unchanged. Replace the background with a rainy street.';
const JACKET = 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.';
const BAG = 'Keep the face and clothing unchanged. Add a brown leather shoulder bag.';
export const HAT = 'Keep the face and clothing unchanged. Add a red wool hat.';

const withBag = recipeYaml([
  ['background', BG],
  ['jacket', JACKET, 'save: out/test/final/{source}.{ext}'],
  ['bag', BAG, 'from: jacket', 'variants: 2', 'save: out/test/bags/{pass}-{variant}.{ext}'],
]);
export const withoutBag = recipeYaml([
  ['background', BG],
  ['jacket', JACKET, 'save: out/test/final/{source}.{ext}'],
]);

/** The running test's HOME, cache dir, emulator rig and project (set by {@link useCleanGc}'s hooks). */
export const ctx = {
  home: '',
  cache: '',
  rig: undefined as unknown as Rig,
  project: undefined as unknown as Project,
};

/** The calling file's hooks: the CLI built, a HOME per file; a cache, rig and project per test. */
export function useCleanGc(): void {
  beforeAll(async () => {
    ctx.home = await mkdtemp(join(tmpdir(), 'kontext-clean-home-'));
    await ensureBuilt();
  }, 180_000);
  afterAll(() => rm(ctx.home, { recursive: true, force: true }));
  beforeEach(async () => {
    ctx.cache = await mkdtemp(join(tmpdir(), 'kontext-clean-cache-'));
    ctx.rig = await startRig();
    ctx.project = await createProject(withBag);
  });
  afterEach(async () => {
    await ctx.rig.close();
    await ctx.project.cleanup();
    await rm(ctx.cache, { recursive: true, force: true });
  });
}

const env = (): Record<string, string> => cliEnv(ctx.home, { KONTEXT_CACHE_DIR: ctx.cache });
export const kontext = (args: readonly string[], cwd = ctx.project.root) => cli(args, { cwd, env: env() });

/** A run in-process on the rig with this test's cache; returns how many requests it submitted. */
export async function run(p: Project = ctx.project): Promise<number> {
  const before = ctx.rig.submits().length;
  const result = await runIn(p, {}, { rig: ctx.rig, env: { KONTEXT_CACHE_DIR: ctx.cache } });
  expect(summaryOf(result).exitCode).toBe(0);
  return ctx.rig.submits().length - before;
}

/** Path → sha256 of every file under the project's out/, symlinks as their target text. */
export async function outState(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const d of await readdir(join(root, 'out'), { recursive: true, withFileTypes: true })) {
    const p = join(d.parentPath, d.name);
    if (d.isFile()) out.set(p.slice(root.length + 1), await sha256File(p));
    else if (d.isSymbolicLink()) out.set(p.slice(root.length + 1), 'symlink');
  }
  return out;
}
