/**
 * A lock git left conflicted, in a real git repository, with real CLI processes against one
 * emulator: two branches each add a pass and run it, one also changes another pass's prompt; the
 * merge conflicts in the lock. `status` says so and writes nothing, `run --frozen` refuses (65),
 * `run` resolves it from the output files for no request; markers that do not pair up stay 65 at
 * their line. Once with out/ committed, once with out/ git-ignored (and diff3 conflict style).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS } from '../helpers/run-fixtures.js';

const emulator = useEmulator();

const pass = (id: string, prompt: string): string => `  - id: ${id}\n    from: portrait\n    prompt: ${prompt}\n`;
const HEAD = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  portrait: assets/portrait-astronaut.jpg
passes:
`;
const BACKDROP = 'Keep the person unchanged. Replace the background with a grey studio backdrop.';
const JACKET = 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.';

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Flow {
  /** out/ in git, or git-ignored (then it holds what the last run on either branch wrote). */
  readonly commitOut: boolean;
  /** git's merge.conflictStyle. */
  readonly style: string;
  /** Branch a runs after branch b (out/ ignored: its `jacket` is then the file on disk). */
  readonly aLast: boolean;
  /** `kontext merge-lock` is git's merge driver for the lock: no conflict is left. */
  readonly driver?: boolean;
}

/**
 * main: two passes run and committed. Branch a adds `hat` and re-seeds `jacket`; branch b adds
 * `glasses`, re-prompts `backdrop` and re-seeds `jacket`; b merges a, conflicting in the lock.
 */
async function conflictedRepo(o: Flow): Promise<string> {
  const root = await tempDir('lockmerge');
  const env = runcomfyEnv(emulator(), root);
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Test');
  git(root, 'config', 'user.email', 'test@example.invalid');
  git(root, 'config', 'merge.conflictStyle', o.style);
  await mkdir(join(root, 'assets'));
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait-astronaut.jpg'));
  await writeFile(join(root, '.gitignore'), `.cache/\n.config/\n${o.commitOut ? '' : 'out/\n'}`);
  const recipe = (first: string, backdrop: string, last: string): Promise<void> =>
    writeFile(join(root, 'recipe.yml'), HEAD + first + pass('backdrop', backdrop) + pass('jacket', JACKET) + last);
  const commit = async (message: string): Promise<void> => {
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', message);
  };
  const run = (...args: string[]): Promise<number> => paid(emulator(), ['run', 'recipe.yml', ...args], root, env);
  await recipe('', BACKDROP, '');
  expect(await run()).toBe(2);
  await commit('two passes');
  git(root, 'branch', 'a');
  git(root, 'branch', 'b');
  const branchA = async (): Promise<void> => {
    git(root, 'checkout', '-q', 'a');
    await recipe('', BACKDROP, pass('hat', 'Keep everything else unchanged. Add a red wool hat.'));
    expect(await run('--reseed', 'jacket')).toBe(2);
    await commit('a: hat, jacket re-seeded');
  };
  const branchB = async (): Promise<void> => {
    git(root, 'checkout', '-q', 'b');
    const glasses = pass('glasses', 'Keep everything else unchanged. Add round sunglasses.');
    await recipe(glasses, BACKDROP.replace('grey', 'warm beige'), '');
    expect(await run('--reseed', 'jacket')).toBe(3);
    await commit('b: glasses, a beige backdrop, jacket re-seeded');
  };
  if (o.aLast) {
    await branchB();
    await branchA();
  } else {
    await branchA();
    await branchB();
  }
  git(root, 'checkout', '-q', 'b');
  if (o.driver) {
    // The merge driver (docs/ci.md), run by git with the environment a user's kontext has.
    const bin = join(import.meta.dirname, '../../dist/cli/bin.js');
    await writeFile(join(root, '.git/info/attributes'), 'recipe.lock.json merge=kontext\n');
    git(root, 'config', 'merge.kontext.driver', `"${process.execPath}" "${bin}" merge-lock %O %A %B %P`);
    git(root, 'config', 'merge.kontext.name', 'kontext lock merge');
    execFileSync('git', ['merge', '-q', '--no-edit', 'a'], { cwd: root, env: { ...env, HOME: root }, stdio: 'pipe' });
    return root;
  }
  expect(() => git(root, 'merge', '-q', 'a')).toThrow(); // CONFLICT (content) in recipe.lock.json
  expect(git(root, 'diff', '--name-only', '--diff-filter=U')).toContain('recipe.lock.json');
  return root;
}

describe.each<Flow>([
  { commitOut: true, style: 'merge', aLast: false },
  { commitOut: false, style: 'diff3', aLast: true },
])('a lock conflicted by git merge (out/ committed: $commitOut, $style)', (o) => {
  it('status reports it and writes nothing; --frozen is 65; run resolves it for 0 requests', async () => {
    const root = await conflictedRepo(o);
    const env = runcomfyEnv(emulator(), root);
    const lockPath = join(root, 'recipe.lock.json');
    const conflicted = await readFile(lockPath, 'utf8');
    expect(conflicted).toMatch(/^<<<<<<< HEAD$/m);
    if (o.style === 'diff3') expect(conflicted).toMatch(/^\|\|\|\|\|\|\| /m);

    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as {
      clean: boolean;
      billable: number;
      lock_conflict: { hunks: number; counts: Record<string, number>; message: string } | null;
      counts: { will_run: number; modified: number };
    };
    expect(s.lock_conflict?.message).toMatch(/^recipe\.lock\.json has \d+ git conflicts?: `kontext run` resolves them/);
    expect(s.billable).toBe(0);
    // Nothing to pay or refuse (an ignored out/ may hold main's backdrop: restored from the cache).
    expect(s.counts).toMatchObject({ will_run: 0, modified: 0 });
    expect(s.clean).toBe(false);
    const text = await cli(['status', 'recipe.yml'], { cwd: root, env });
    expect(text.stdout).toContain('Lock with git conflicts');
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);

    const frozen = await cli(['run', 'recipe.yml', '--frozen'], { cwd: root, env });
    expect(frozen.code, frozen.stderr).toBe(65);
    expect(frozen.stderr).toContain('git conflict markers');
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);

    // --dry-run and the report read the merge in memory; the lock stays as git left it.
    const dry = await cli(['run', 'recipe.yml', '--dry-run', '--json'], { cwd: root, env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/git conflicts?: a run resolves them/);
    const report = await cli(['report', 'recipe.yml'], { cwd: root, env });
    expect(report.code, report.stderr).toBe(0);
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);

    // clean removes files and rewrites the lock: it waits for a run's merge; --dry-run shows it.
    const clean = await cli(['clean', 'recipe.yml'], { cwd: root, env });
    expect(clean.code, clean.stderr).toBe(65);
    expect(clean.stderr).toContain('clean does not rewrite it');
    expect((await cli(['clean', 'recipe.yml', '--dry-run'], { cwd: root, env })).code).toBe(0);
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);

    const before = submits(emulator());
    const run = await cli(['run', 'recipe.yml', '--json'], { cwd: root, env });
    expect(run.code, run.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(0);
    const notices = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; message?: string })
      .filter((e) => e.type === 'notice' && e.message?.includes('git conflict'));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.message).toMatch(/resolved and written/);
    // Both branches re-seeded jacket: the entry whose output the file on disk holds wins (git kept
    // ours, HEAD = b, for a committed out/; an ignored out/ holds what a, run last, wrote).
    expect(notices[0]?.message).toMatch(/; by the output file: jacket$/);
    const jacketOf = async (ref: string): Promise<unknown> =>
      (JSON.parse(git(root, 'show', `${ref}:recipe.lock.json`)) as { nodes: Record<string, unknown> }).nodes['jacket'];
    const merged = await readFile(lockPath, 'utf8');
    expect(merged).not.toMatch(/^(<{7}|={7}|>{7}|\|{7})/m);
    const lock = JSON.parse(merged) as { nodes: Record<string, { output: string; output_sha256: string }> };
    expect(Object.keys(lock.nodes).sort()).toEqual(['backdrop', 'glasses', 'hat', 'jacket']);
    expect(lock.nodes['jacket']).toEqual(await jacketOf(o.aLast ? 'a' : 'b'));
    const { createHash } = await import('node:crypto');
    for (const e of Object.values(lock.nodes)) {
      expect(
        createHash('sha256')
          .update(await readFile(join(root, e.output)))
          .digest('hex'),
      ).toBe(e.output_sha256);
    }
    const after = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
    expect(JSON.parse(after.stdout)).toMatchObject({ clean: true, lock_conflict: null });
    // clean opens the cache only to merge a conflicted lock: otherwise it does not even create it.
    await rm(join(root, '.cache'), { recursive: true, force: true });
    expect((await cli(['clean', 'recipe.yml', '--dry-run'], { cwd: root, env })).code).toBe(0);
    expect(existsSync(join(root, '.cache'))).toBe(false);

    // Markers that do not pair up are not guessed at: exit 65 at the marker's line, the file left alone.
    const lines = conflicted.split('\n');
    const close = lines.findLastIndex((l) => l.startsWith('>>>>>>>'));
    const broken = lines.filter((_l, i) => i !== close).join('\n');
    await writeFile(lockPath, broken);
    const bad = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(bad.code, bad.stderr).toBe(65);
    const opened = lines.findLastIndex((l) => l.startsWith('<<<<<<<')) + 1;
    expect(bad.stderr).toContain(`recipe.lock.json:${opened}:1: git conflict opened here is never closed`);
    expect(await readFile(lockPath, 'utf8')).toBe(broken);
  }, 120_000);
});

describe('kontext merge-lock as git merge driver', () => {
  it('git merges the lock itself: no markers, both branches, the file decides, run pays 0', async () => {
    const root = await conflictedRepo({ commitOut: false, style: 'merge', aLast: true, driver: true });
    const env = runcomfyEnv(emulator(), root);
    const merged = await readFile(join(root, 'recipe.lock.json'), 'utf8');
    expect(merged).not.toMatch(/^(<{7}|={7}|>{7})/m);
    const lock = JSON.parse(merged) as { nodes: Record<string, unknown> };
    expect(Object.keys(lock.nodes).sort()).toEqual(['backdrop', 'glasses', 'hat', 'jacket']);
    const show = (ref: string): { nodes: Record<string, unknown> } =>
      JSON.parse(git(root, 'show', `${ref}:recipe.lock.json`)) as { nodes: Record<string, unknown> };
    // Both re-seeded jacket; out/ (ignored) holds a's, run last: theirs wins by the file.
    expect(lock.nodes['jacket']).toEqual(show('a').nodes['jacket']);
    expect(lock.nodes['backdrop']).toEqual(show('b').nodes['backdrop']);
    expect(git(root, 'status', '--porcelain')).toBe('');
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(0);
    const after = await cli(['status', 'recipe.yml', '--json'], { cwd: root, env });
    expect(JSON.parse(after.stdout)).toMatchObject({ clean: true, lock_conflict: null });
  }, 120_000);
});
