/**
 * A lock conflicted by a recursive merge, made for real with git: branches a and b each re-seed
 * one pass and run it, then merge each other (criss-cross), so their final merge has two merge
 * bases whose own merge conflicts in the lock. With diff3 style and `conflict-marker-size=9` in
 * `.gitattributes`, git writes 9-character markers and nests the virtual base's conflict, with
 * 11-character markers, in the base section. `kontext run` resolves it for no request; the merge
 * driver, set up as docs/ci.md says (`merge.kontext.recursive binary`: the merge bases' own merge
 * is their common ancestor; or `text`: a base with conflict markers), merges the same history
 * with no markers, by the file.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS } from '../helpers/run-fixtures.js';

const emulator = useEmulator();

const RECIPE = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  portrait: assets/portrait-astronaut.jpg
passes:
  - id: backdrop
    from: portrait
    prompt: Keep the person unchanged. Replace the background with a grey studio backdrop.
  - id: jacket
    from: portrait
    prompt: Keep the face and background unchanged. Change the jacket to a yellow raincoat.
`;

interface Lock {
  readonly nodes: Record<string, { readonly output: string; readonly output_sha256: string }>;
}

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The criss-cross history (out/ git-ignored: it holds what b, run last, wrote); a checked out, b not merged yet. */
async function crissCross(attributes: string, env: (root: string) => Record<string, string>): Promise<string> {
  const root = await tempDir('crisscross');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'user.name', 'Test');
  git(root, 'config', 'user.email', 'test@example.invalid');
  git(root, 'config', 'merge.conflictStyle', 'diff3');
  await mkdir(join(root, 'assets'));
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait-astronaut.jpg'));
  await writeFile(join(root, '.gitignore'), '.cache/\n.config/\nout/\n');
  await writeFile(join(root, '.git/info/attributes'), attributes);
  await writeFile(join(root, 'recipe.yml'), RECIPE);
  const run = (...args: string[]): Promise<number> => paid(emulator(), ['run', 'recipe.yml', ...args], root, env(root));
  const commit = (message: string): void => {
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', message);
  };
  expect(await run()).toBe(2);
  commit('two passes');
  for (const branch of ['a', 'b']) {
    git(root, 'checkout', '-q', '-b', branch, 'main');
    expect(await run('--reseed', 'jacket')).toBe(1);
    commit(`${branch}: jacket re-seeded`);
  }
  const [a1, b1] = [git(root, 'rev-parse', 'a').trim(), git(root, 'rev-parse', 'b').trim()];
  // Each branch takes the other's first commit, keeping its own lock: the criss-cross.
  for (const [branch, other] of [
    ['a', b1],
    ['b', a1],
  ] as const) {
    git(root, 'checkout', '-q', branch);
    try {
      git(root, 'merge', '-q', '--no-edit', other);
    } catch {
      git(root, 'checkout', '--ours', 'recipe.lock.json');
      commit(`${branch}: merged`);
    }
  }
  git(root, 'checkout', '-q', 'a');
  return root;
}

describe('a lock conflicted by a criss-cross merge', () => {
  it('9-character markers with the virtual base nested at 11: run resolves it by the file, 0 requests', async () => {
    const env = (root: string): Record<string, string> => runcomfyEnv(emulator(), root);
    const root = await crissCross('recipe.lock.json conflict-marker-size=9\n', env);
    expect(() => git(root, 'merge', '-q', 'b')).toThrow(); // CONFLICT (content) in recipe.lock.json
    const lockPath = join(root, 'recipe.lock.json');
    const conflicted = await readFile(lockPath, 'utf8');
    expect(conflicted).toMatch(/^<{9} HEAD$/m);
    expect(conflicted).toMatch(/^<{11} Temporary merge branch 1$/m);

    const before = submits(emulator());
    const run = await cli(['run', 'recipe.yml', '--json'], { cwd: root, env: env(root) });
    expect(run.code, run.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(0);
    expect(run.stdout).toMatch(
      /recipe\.lock\.json has \d+ git conflicts: resolved and written .*; by the output file: jacket"/,
    );
    const lock = JSON.parse(await readFile(lockPath, 'utf8')) as Lock;
    // out/ holds the jacket b ran last: b's entry, not ours (a).
    const bLock = JSON.parse(git(root, 'show', 'b:recipe.lock.json')) as Lock;
    expect(lock.nodes['jacket']).toEqual(bLock.nodes['jacket']);
    for (const e of Object.values(lock.nodes)) {
      const bytes = await readFile(join(root, e.output));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(e.output_sha256);
    }
  }, 120_000);

  it.each(['binary', 'text'])(
    'merge-lock as the driver (recursive = %s): no markers; jacket, changed on both, by the file',
    async (recursive) => {
      const bin = join(import.meta.dirname, '../../dist/cli/bin.js');
      const env = (root: string): Record<string, string> => ({ ...runcomfyEnv(emulator(), root), HOME: root });
      const root = await crissCross('recipe.lock.json merge=kontext\n', env);
      git(root, 'config', 'merge.kontext.driver', `"${process.execPath}" "${bin}" merge-lock %O %A %B %P`);
      // binary: the merge bases' own merge is their common ancestor; text: git's line merge, so
      // the driver gets a base with conflict markers (the entries both bases agree on count).
      // Unset, the driver merges the bases too, by the file: b's jacket becomes the virtual
      // base, so a's looks like the only change and wins against the file (docs/ci.md).
      git(root, 'config', 'merge.kontext.recursive', recursive);
      execFileSync('git', ['merge', '-q', '--no-edit', 'b'], { cwd: root, env: env(root), stdio: 'pipe' });
      const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as Lock;
      const bLock = JSON.parse(git(root, 'show', 'b:recipe.lock.json')) as Lock;
      expect(lock.nodes['jacket']).toEqual(bLock.nodes['jacket']);
      expect(git(root, 'status', '--porcelain')).toBe('');
      expect(await paid(emulator(), ['run', 'recipe.yml'], root, env(root))).toBe(0);
    },
    120_000,
  );
});
