/**
 * A teammate's `core.autocrlf=true` checkout (Windows' default), with `core.safecrlf=true`, in a
 * real git repository and real CLI processes against one emulator: the recipe and lock arrive
 * with CRLF. Nothing is paid again, a run that changes nothing leaves the lock alone, a run that
 * changes entries keeps its CRLF (git can add it: an LF file there is refused by safecrlf), and
 * an error in the CRLF recipe is at the right line and column.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS } from '../helpers/run-fixtures.js';

const emulator = useEmulator();

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: |
      Keep the subject unchanged.
      Replace the background with a grey studio backdrop.
  - id: shadow
    prompt: Keep the subject and the backdrop unchanged. Add a soft contact shadow.
`;

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const crlfLines = (text: string): number => text.split('\r\n').length - 1;
const bareLf = (text: string): boolean => /(^|[^\r])\n/.test(text);

/** Alice's repository (LF, run and committed with out/), and Bob's autocrlf + safecrlf clone of it. */
async function aliceAndBob(): Promise<{ alice: string; bob: string }> {
  const alice = await tempDir('alice');
  git(alice, 'init', '-q', '-b', 'main');
  git(alice, 'config', 'user.name', 'Alice');
  git(alice, 'config', 'user.email', 'alice@example.invalid');
  await mkdir(join(alice, 'assets'));
  for (const f of ['pet-chelsea.jpg', 'scene-rocket.jpg']) await cp(join(ASSETS, f), join(alice, 'assets', f));
  await writeFile(join(alice, '.gitignore'), '.cache/\n.config/\n');
  await writeFile(join(alice, 'recipe.yml'), YAML);
  expect(await paid(emulator(), ['run', 'recipe.yml'], alice, runcomfyEnv(emulator(), alice))).toBe(4);
  git(alice, 'add', '-A');
  git(alice, 'commit', '-q', '-m', 'shots');
  const bob = join(await tempDir('bob'), 'clone');
  execFileSync('git', ['-c', 'core.autocrlf=true', '-c', 'core.safecrlf=true', 'clone', '-q', alice, bob]);
  git(bob, 'config', 'core.autocrlf', 'true');
  git(bob, 'config', 'core.safecrlf', 'true');
  git(bob, 'config', 'user.name', 'Bob');
  git(bob, 'config', 'user.email', 'bob@example.invalid');
  return { alice, bob };
}

describe('a core.autocrlf=true clone', () => {
  it('pays nothing again, keeps the lock CRLF when it changes, leaves it alone when not', async () => {
    const { bob } = await aliceAndBob();
    const env = runcomfyEnv(emulator(), bob);
    const lockPath = join(bob, 'recipe.lock.json');
    const lock = await readFile(lockPath, 'utf8');
    expect(crlfLines(await readFile(join(bob, 'recipe.yml'), 'utf8'))).toBeGreaterThan(5);
    expect(bareLf(lock)).toBe(false);

    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: bob, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ clean: true, billable: 0 });
    expect(await paid(emulator(), ['run', 'recipe.yml'], bob, env)).toBe(0);
    expect(await readFile(lockPath, 'utf8')).toBe(lock);
    expect(git(bob, 'status', '--porcelain')).toBe('');

    // Bob changes shadow's prompt (his editor keeps CRLF): its two nodes run.
    const recipe = await readFile(join(bob, 'recipe.yml'), 'utf8');
    await writeFile(join(bob, 'recipe.yml'), recipe.replace('soft contact shadow', 'long soft shadow'));
    expect(await paid(emulator(), ['run', 'recipe.yml'], bob, env)).toBe(2);
    const rewritten = await readFile(lockPath, 'utf8');
    expect(rewritten).not.toBe(lock);
    expect(bareLf(rewritten)).toBe(false);
    git(bob, 'add', '-A'); // core.safecrlf=true: an LF lock here would be refused
    const changed = git(bob, 'diff', '--cached', '--numstat', '--', 'recipe.lock.json').trim().split(/\s+/);
    expect(Number(changed[0])).toBeLessThan(crlfLines(lock) / 2);
  }, 120_000);

  it('an error in a CRLF recipe is reported at its line and column', async () => {
    const { bob } = await aliceAndBob();
    const recipe = await readFile(join(bob, 'recipe.yml'), 'utf8');
    await writeFile(
      join(bob, 'recipe.yml'),
      recipe.replace('  - id: shadow\r\n', '  - id: shadow\r\n    from: backdrp\r\n'),
    );
    const r = await cli(['validate', 'recipe.yml'], { cwd: bob, env: runcomfyEnv(emulator(), bob) });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('recipe.yml:13:11: passes[1].from: unknown pass or source "backdrp"');
  }, 120_000);
});
