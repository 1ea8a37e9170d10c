/**
 * The README's quick start: `npm run demo` (scripts/demo.mjs) runs every example recipe on the
 * built-in emulator and writes each one's review sheet; run again, it submits nothing. Run here in
 * a copy laid out as the repo is (the script, the examples without a demo's outputs or locks, the
 * build and node_modules linked), with a temp HOME, so it cannot touch the checkout's examples.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { EXAMPLES, REPO_ROOT } from '../helpers/run-fixtures.js';

let root: string;
let home: string;
let recipes: string[];

beforeAll(async () => {
  await ensureBuilt();
  root = await mkdtemp(join(tmpdir(), 'kontext-demo-'));
  home = join(root, 'home');
  await mkdir(join(root, 'scripts'));
  await cp(join(REPO_ROOT, 'scripts', 'demo.mjs'), join(root, 'scripts', 'demo.mjs'));
  const examples = join(root, 'recipes', 'examples');
  await cp(join(EXAMPLES, 'assets'), join(examples, 'assets'), { recursive: true });
  recipes = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yml')).sort();
  for (const f of recipes) await cp(join(EXAMPLES, f), join(examples, f));
  await symlink(join(REPO_ROOT, 'dist'), join(root, 'dist'));
  await symlink(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
}, 180_000);
afterAll(() => rm(root, { recursive: true, force: true }));

function demo(): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join('scripts', 'demo.mjs')], {
    cwd: root,
    env: cliEnv(home, { KONTEXT_EMULATOR_QUEUE_MS: '5', KONTEXT_EMULATOR_RUN_MS: '10' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Each run's summary line: `done N · cached N · failed N · skipped N · submitted N · …`. */
function summaries(stderr: string): { done: number; cached: number; failed: number; submitted: number }[] {
  return [...stderr.matchAll(/^done (\d+) · cached (\d+) · failed (\d+) · skipped \d+ · submitted (\d+)/gm)].map(
    (m) => ({ done: Number(m[1]), cached: Number(m[2]), failed: Number(m[3]), submitted: Number(m[4]) }),
  );
}

describe('npm run demo (the README quick start)', () => {
  it('runs every example and writes its review sheet; run again, it submits nothing', async () => {
    const first = await demo();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('Done. The edited images are in recipes/examples/out/<recipe>/');
    const paid = summaries(first.stderr);
    expect(paid).toHaveLength(recipes.length);
    for (const s of paid) expect(s).toMatchObject({ failed: 0, cached: 0, submitted: s.done });
    expect(paid.every((s) => s.done > 0)).toBe(true);
    for (const f of recipes) {
      const out = join(root, 'recipes', 'examples', 'out', f.replace(/\.yml$/, ''));
      expect((await stat(join(out, 'report', 'index.html'))).size).toBeGreaterThan(0);
    }

    const again = await demo();
    expect(again.code, again.stderr).toBe(0);
    const cached = summaries(again.stderr);
    expect(cached).toHaveLength(recipes.length);
    cached.forEach((s, i) => {
      expect(s).toMatchObject({ done: 0, failed: 0, submitted: 0, cached: paid[i]?.done });
    });
    // The copy's top level gained only the temp HOME (the cache); out/ and the locks are beside its
    // examples. (The CLI's own code cache in dist/cli/.code-cache is the repo's, as for any run.)
    expect((await readdir(root)).sort()).toEqual(['dist', 'home', 'node_modules', 'recipes', 'scripts']);
  }, 120_000);
});
