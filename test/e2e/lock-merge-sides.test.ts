/**
 * Which side of a conflicted lock a merge keeps, with real git repositories, real CLI processes
 * and one emulator (paid requests counted from its log):
 * - two machines change the same pass's prompt and commit lock + out/; the merge takes theirs for
 *   the recipe: the run takes theirs' entry (the one asking what the recipe asks), stops before
 *   paying while out/ holds ours (exit 65, the lock left conflicted), and pays nothing once out/ is
 *   resolved the same way; with the merge driver too, which leaves such nodes conflicted;
 * - with the merge driver, two machines re-seed the same pass and commit out/: the driver leaves
 *   that node conflicted (git merges its output too, the work tree holding ours), so keeping
 *   theirs' images then runs for nothing (it took ours "by the output file", and the run refused
 *   the images as changed by hand);
 * - two branches add a pass with one id and different prompts; the merged recipe keeps both, one
 *   renamed: the renamed one takes the losing entry's seed, its result in the cache (it paid again).
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS } from '../helpers/run-fixtures.js';

const emulator = useEmulator();

const HEAD = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  portrait: assets/portrait-astronaut.jpg
passes:
`;
const jacket = (colour: string): string =>
  `  - id: jacket\n    from: portrait\n    prompt: Keep the face unchanged. Make the jacket a ${colour} raincoat.\n`;
const BAG = '  - id: bag\n    from: jacket\n    prompt: Keep everything else unchanged. Add a brown shoulder bag.\n';
const SKY = '  - id: sky\n    from: portrait\n    prompt: Keep the person unchanged. Make the sky orange.\n';
const hat = (id: string, colour: string): string =>
  `  - id: ${id}\n    from: jacket\n    prompt: Keep everything else unchanged. Add a ${colour} hat.\n`;

interface Entry {
  readonly seed: number;
  readonly key: string;
  readonly output: string;
  readonly output_sha256: string;
}

function git(root: string, env: Record<string, string>, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A merge that may conflict: its exit status and output. */
function merge(root: string, env: Record<string, string>, branch: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: git(root, env, 'merge', '--no-edit', branch) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const nodesAt = (root: string, env: Record<string, string>, ref: string): Record<string, Entry> =>
  (JSON.parse(git(root, env, 'show', `${ref}:recipe.lock.json`)) as { nodes: Record<string, Entry> }).nodes;

/** A repository at `root` with its own cache and config (one machine), the merge driver set up or not. */
async function machine(root: string, driver: boolean): Promise<Record<string, string>> {
  const env = runcomfyEnv(emulator(), root);
  git(root, env, 'config', 'user.name', 'Test');
  git(root, env, 'config', 'user.email', 'test@example.invalid');
  if (driver) {
    // docs/ci.md's setup, the driver being this build's CLI.
    const bin = join(import.meta.dirname, '../../dist/cli/bin.js');
    await writeFile(join(root, '.git/info/attributes'), 'recipe.lock.json merge=kontext\n');
    git(root, env, 'config', 'merge.kontext.driver', `"${process.execPath}" "${bin}" merge-lock %O %A %B %P`);
    git(root, env, 'config', 'merge.kontext.recursive', 'binary');
  }
  return env;
}

/** Machine X (`root/x`, main: `recipe` run and committed with out/) and machine Y, its clone (`root/y`). */
async function twoMachines(recipe: string, driver: boolean) {
  const root = await tempDir('mergesides');
  const [x, y] = [join(root, 'x'), join(root, 'y')];
  await mkdir(join(x, 'assets'), { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', x]);
  const envX = await machine(x, driver);
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(x, 'assets', 'portrait-astronaut.jpg'));
  await writeFile(join(x, '.gitignore'), '.cache/\n.config/\n');
  await writeFile(join(x, 'recipe.yml'), recipe);
  expect(await paid(emulator(), ['run', 'recipe.yml'], x, envX)).toBe(recipe.split('- id:').length - 1);
  git(x, envX, 'add', '-A');
  git(x, envX, 'commit', '-q', '-m', 'base');
  execFileSync('git', ['clone', '-q', x, y]);
  const envY = await machine(y, driver);
  /** On `dir`'s machine: a branch, the recipe changed (or not), `run` with `args` (paying `pays`), committed. */
  const branch = async (dir: string, env: Record<string, string>, name: string, text: string, args: string[]) => {
    git(dir, env, 'checkout', '-q', '-b', name);
    await writeFile(join(dir, 'recipe.yml'), text);
    expect(await paid(emulator(), ['run', 'recipe.yml', ...args], dir, env)).toBe(2);
    git(dir, env, 'add', '-A');
    git(dir, env, 'commit', '-q', '-m', name);
  };
  return { x, y, envX, envY, branch };
}

describe.each([{ driver: false }, { driver: true }])('two machines re-prompt one pass (driver: $driver)', (o) => {
  it('the recipe takes theirs: the run stops before paying while out/ holds ours, then pays 0', async () => {
    const m = await twoMachines(HEAD + jacket('yellow') + BAG + SKY, o.driver);
    await m.branch(m.y, m.envY, 'y', HEAD + jacket('green') + BAG + SKY, []);
    await m.branch(m.x, m.envX, 'x', HEAD + jacket('red') + BAG + SKY, []);
    git(m.x, m.envX, 'fetch', '-q', m.y, 'y:y');
    const merged = merge(m.x, m.envX, 'y');
    expect(merged.ok, merged.output).toBe(false);
    if (o.driver) expect(merged.output).toMatch(/left conflicted: bag, jacket/);
    // The user takes y's prompt; out/ still holds x's images (git keeps ours for a binary conflict).
    git(m.x, m.envX, 'checkout', '--theirs', 'recipe.yml');
    const lockPath = join(m.x, 'recipe.lock.json');
    const conflicted = await readFile(lockPath, 'utf8');
    expect(conflicted).toMatch(/^<{7} /m);

    const before = submits(emulator());
    const stopped = await cli(['run', 'recipe.yml'], { cwd: m.x, env: m.envX });
    expect(submits(emulator()) - before).toBe(0);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(65);
    expect(stopped.stderr).toContain('the recipe asks what a branch paid for');
    expect(stopped.stderr).toContain('git checkout --theirs -- out/test/jacket/portrait.png out/test/bag/portrait.png');
    expect(stopped.stdout + stopped.stderr).toContain('left as it is');
    // Once the merge is committed, by git's label of the branch (the driver's hunks say only "theirs").
    if (!o.driver) expect(stopped.stderr).toContain('(merge committed: `git checkout y -- …`)');
    if (o.driver) expect(stopped.stderr).toContain('(merge committed: `git checkout HEAD^2 -- …`)');
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted); // the next run says the same
    // A run of another pass alone would write the merge, and leave jacket to a run that pays: it stops too.
    const only = await cli(['run', 'recipe.yml', '--only', 'sky'], { cwd: m.x, env: m.envX });
    expect(only.code, only.stdout + only.stderr).toBe(65);
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);
    const dry = await cli(['run', 'recipe.yml', '--dry-run'], { cwd: m.x, env: m.envX });
    expect(dry.code, dry.stderr).toBe(65);
    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: m.x, env: m.envX });
    const conflict = (JSON.parse(status.stdout) as { lock_conflict: { message: string } }).lock_conflict;
    expect(conflict.message).toContain('`kontext run` stops before paying again for jacket, bag');

    git(m.x, m.envX, 'checkout', '--theirs', 'out/');
    expect(await paid(emulator(), ['run', 'recipe.yml'], m.x, m.envX)).toBe(0);
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { nodes: Record<string, Entry> };
    const theirs = nodesAt(m.x, m.envX, 'y');
    expect(lock.nodes['jacket']).toEqual(theirs['jacket']);
    expect(lock.nodes['bag']).toEqual(theirs['bag']);
    const after = await cli(['status', 'recipe.yml', '--json'], { cwd: m.x, env: m.envX });
    expect(JSON.parse(after.stdout)).toMatchObject({ clean: true, lock_conflict: null });
  }, 120_000);

  it('the recipe takes ours, out/ theirs, ours not cached: stops naming --ours, then HEAD^1 committed', async () => {
    const m = await twoMachines(HEAD + jacket('yellow') + BAG + SKY, o.driver);
    await m.branch(m.y, m.envY, 'y', HEAD + jacket('green') + BAG + SKY, []);
    await m.branch(m.x, m.envX, 'x', HEAD + jacket('red') + BAG + SKY, []);
    git(m.x, m.envX, 'fetch', '-q', m.y, 'y:y');
    expect(merge(m.x, m.envX, 'y').ok).toBe(false);
    git(m.x, m.envX, 'checkout', '--ours', 'recipe.yml');
    git(m.x, m.envX, 'checkout', '--theirs', 'out/');
    await rm(join(m.x, '.cache'), { recursive: true, force: true }); // ours' results only in git (HEAD)
    const lockPath = join(m.x, 'recipe.lock.json');
    const conflicted = await readFile(lockPath, 'utf8');
    const files = 'out/test/jacket/portrait.png out/test/bag/portrait.png';
    const before = submits(emulator());
    const stopped = await cli(['run', 'recipe.yml'], { cwd: m.x, env: m.envX });
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(65);
    expect(stopped.stderr).toContain('the recipe asks what a branch paid for');
    expect(stopped.stderr).toContain(`git checkout --ours -- ${files}`);
    expect(stopped.stderr).toContain('(merge committed: `git checkout HEAD^1 -- …`)');
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted); // theirs' entries not dropped
    // The merge committed as it is: the hint's command works then.
    git(m.x, m.envX, 'add', '-A');
    git(m.x, m.envX, 'commit', '-q', '--no-edit');
    const again = await cli(['run', 'recipe.yml'], { cwd: m.x, env: m.envX });
    expect(again.code, again.stdout + again.stderr).toBe(65);
    git(m.x, m.envX, 'checkout', 'HEAD^1', '--', ...files.split(' '));
    expect(await paid(emulator(), ['run', 'recipe.yml'], m.x, m.envX)).toBe(0);
    expect(submits(emulator()) - before).toBe(0);
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as { nodes: Record<string, Entry> };
    expect(lock.nodes['jacket']).toEqual(nodesAt(m.x, m.envX, 'HEAD^1')['jacket']);
  }, 120_000);
});

describe('the merge driver, out/ committed', () => {
  it('both re-seed a pass: the driver leaves it conflicted; theirs images kept, the run pays 0', async () => {
    const recipe = HEAD + jacket('yellow') + BAG;
    const m = await twoMachines(recipe, true);
    await m.branch(m.y, m.envY, 'y', recipe, ['--reseed', 'jacket']);
    await m.branch(m.x, m.envX, 'x', recipe, ['--reseed', 'jacket']);
    git(m.x, m.envX, 'fetch', '-q', m.y, 'y:y');
    const merged = merge(m.x, m.envX, 'y');
    expect(merged.ok, merged.output).toBe(false);
    // The work tree holds ours for every binary conflict: the file is no witness.
    expect(merged.output).not.toContain('by the output file');
    expect(merged.output).toMatch(/left conflicted: bag, jacket/);
    expect(git(m.x, m.envX, 'diff', '--name-only', '--diff-filter=U')).toContain('recipe.lock.json');
    git(m.x, m.envX, 'checkout', '--theirs', 'out/');
    git(m.x, m.envX, 'add', 'out/');
    expect(await paid(emulator(), ['run', 'recipe.yml'], m.x, m.envX)).toBe(0);
    const lock = JSON.parse(await readFile(join(m.x, 'recipe.lock.json'), 'utf8')) as { nodes: Record<string, Entry> };
    expect(lock.nodes['jacket']).toEqual(nodesAt(m.x, m.envX, 'y')['jacket']);
    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: m.x, env: m.envX });
    expect(JSON.parse(status.stdout)).toMatchObject({ clean: true, lock_conflict: null });
  }, 120_000);
});

/** One machine: main runs `jacket`; branches x and y each add pass `hat` (red, blue), merged into x, conflicting. */
async function twoHats(driver: boolean, commitOut: boolean) {
  const root = await tempDir('mergerename');
  await mkdir(join(root, 'assets'));
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  const env = await machine(root, driver);
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait-astronaut.jpg'));
  await writeFile(join(root, '.gitignore'), `.cache/\n.config/\n${commitOut ? '' : 'out/\n'}`);
  const base = HEAD + jacket('yellow');
  const commit = (message: string): void => {
    git(root, env, 'add', '-A');
    git(root, env, 'commit', '-q', '-m', message);
  };
  const run = (): Promise<number> => paid(emulator(), ['run', 'recipe.yml'], root, env);
  await writeFile(join(root, 'recipe.yml'), base);
  expect(await run()).toBe(1);
  commit('base');
  for (const [branch, colour] of [
    ['x', 'red'],
    ['y', 'blue'],
  ] as const) {
    git(root, env, 'checkout', '-q', '-b', branch, 'main');
    await writeFile(join(root, 'recipe.yml'), base + hat('hat', colour));
    expect(await run()).toBe(1);
    commit(branch);
  }
  git(root, env, 'checkout', '-q', 'x');
  const merged = merge(root, env, 'y');
  expect(merged.ok, merged.output).toBe(false); // the recipe conflicts
  // Both passes kept, y's renamed hat-2.
  await writeFile(join(root, 'recipe.yml'), base + hat('hat', 'red') + hat('hat-2', 'blue'));
  if (commitOut) git(root, env, 'checkout', '--ours', 'out/');
  const locked = async (): Promise<Record<string, Entry>> =>
    (JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as { nodes: Record<string, Entry> }).nodes;
  return { root, env, run, locked };
}

describe.each([
  { driver: false, commitOut: true },
  { driver: true, commitOut: true },
  { driver: true, commitOut: false },
])('one machine, two branches add pass `hat` (driver: $driver, out/ committed: $commitOut)', (o) => {
  it('the merged recipe keeps both, one renamed hat-2: it takes the losing entry, 0 paid', async () => {
    const m = await twoHats(o.driver, o.commitOut);
    expect(await m.run()).toBe(0);
    const lock = await m.locked();
    expect(lock['hat']?.key).toBe(nodesAt(m.root, m.env, 'x')['hat']?.key);
    expect(lock['hat-2']?.key).toBe(nodesAt(m.root, m.env, 'y')['hat']?.key);
  }, 120_000);
});

describe.each([{ driver: false }, { driver: true }])('the renamed pass does not run (driver: $driver)', (o) => {
  it('a run leaving hat-2 out stops before writing the merge; the whole run then pays 0', async () => {
    const m = await twoHats(o.driver, true);
    const lockPath = join(m.root, 'recipe.lock.json');
    const conflicted = await readFile(lockPath, 'utf8');
    const before = submits(emulator());
    const only = await cli(['run', 'recipe.yml', '--only', 'jacket'], { cwd: m.root, env: m.env });
    expect(submits(emulator()) - before).toBe(0);
    expect(only.code, only.stdout + only.stderr).toBe(65);
    expect(only.stderr).toContain('hat-2 would take its seed from');
    expect(only.stderr).toContain('run the whole recipe');
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);
    expect(await m.run()).toBe(0);
    expect((await m.locked())['hat-2']?.key).toBe(nodesAt(m.root, m.env, 'y')['hat']?.key);
  }, 120_000);

  it('hat-2 stopped by a file kontext did not write: the merge keeps its seed, the next run pays 0', async () => {
    const m = await twoHats(o.driver, true);
    const mine = join(m.root, 'out/test/hat-2/portrait.png');
    await mkdir(join(m.root, 'out/test/hat-2'), { recursive: true });
    await writeFile(mine, 'not kontext');
    const before = submits(emulator());
    const stopped = await cli(['run', 'recipe.yml'], { cwd: m.root, env: m.env });
    expect(submits(emulator()) - before).toBe(0);
    expect(stopped.code, stopped.stdout + stopped.stderr).toBe(65);
    expect(stopped.stdout + stopped.stderr).toContain('resolved and written');
    const theirs = nodesAt(m.root, m.env, 'y')['hat'];
    expect((await m.locked())['hat-2']).toMatchObject({ seed: theirs?.seed, key: theirs?.key });
    await rm(mine);
    expect(await m.run()).toBe(0);
    const lock = await m.locked();
    expect(lock['hat-2']).toMatchObject({ key: theirs?.key, output: 'out/test/hat-2/portrait.png' });
  }, 120_000);
});
