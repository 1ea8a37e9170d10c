/**
 * Two `kontext pick` (the built CLI) on one recipe at once, one through a symlink to it and one
 * through its real name: the first is frozen (cli/test-hooks.ts `pick-checked`) after it checked
 * the file is still the one it read and before its rename, while the second runs. Both picks
 * must land: a pick serializes on the file it writes, not on the name it was given (before, the
 * second took another mutex, and the first's rename then dropped its pick).
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt, spawnCli } from '../helpers/cli-spawn.js';
import { tempDir } from '../helpers/e2e-kit.js';
import { ASSETS, until } from '../helpers/run-fixtures.js';

beforeAll(ensureBuilt, 180_000);

const RECIPE = `version: 1
name: bags
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: ../assets/portrait-astronaut.jpg
passes:
  - id: bag
    prompt: "Put a leather bag on the table"
    variants: 3
  - id: hat
    from: photo
    prompt: "Add a hat"
    variants: 2
`;

/** A project with the recipe at recipes/bags.yml (its path `real`). */
async function bagsProject(tag: string): Promise<{ readonly root: string; readonly real: string }> {
  const root = await tempDir(tag);
  await mkdir(join(root, '.git'));
  await mkdir(join(root, 'assets'));
  await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'portrait-astronaut.jpg'));
  await mkdir(join(root, 'recipes'));
  const real = join(root, 'recipes', 'bags.yml');
  await writeFile(real, RECIPE);
  return { root, real };
}

/** `kontext pick recipes/bags.yml bag#3`, frozen (test hook) once it has checked the file; `resume` lets it go on. */
async function frozenPick(root: string) {
  const pause = join(root, 'pick.paused');
  const hooks = { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_PAUSE_AT: 'pick-checked', KONTEXT_TEST_PAUSE_FILE: pause };
  const pick = spawnCli(['pick', 'recipes/bags.yml', 'bag#3'], { cwd: root, env: cliEnv(root, hooks) });
  await until(() => existsSync(pause), 20_000, 'the pick to check the file', pick.output);
  return { pick, resume: () => rm(pause) };
}

describe('two kontext pick at once through two names of one recipe', () => {
  it('the one frozen before its rename and the one through the link both land', async () => {
    const { root, real } = await bagsProject('pick-race');
    await symlink('bags.yml', join(root, 'recipes', 'current.yml'));
    const { pick: first, resume } = await frozenPick(root);

    const second = spawnCli(['pick', 'recipes/current.yml', 'hat#1'], { cwd: root, env: cliEnv(root) });
    // It waits for the first and says so (before the fix it took another mutex, read the old
    // text, wrote its pick and ended while the first was frozen).
    let ended = false;
    void second.done.then(() => (ended = true));
    await until(() => ended || /waiting for another kontext pick/.test(second.output()), 20_000, 'the second pick');
    await resume();
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const text = await readFile(real, 'utf8');
    expect(text).toContain('    variants: 3\n    pick: 3\n');
    expect(text).toContain('    variants: 2\n    pick: 1\n');
  }, 30_000);

  it("an editor's save while the pick writes is kept: the pick refuses (75), writes nothing (walk-p)", async () => {
    const { root, real } = await bagsProject('pick-save');
    const { pick, resume } = await frozenPick(root);
    // The user's save, as editors make it: a new file renamed over the recipe.
    const saved = RECIPE.replace('Put a leather bag on the table', 'Put a red leather bag on the table');
    await writeFile(`${real}.swp`, saved);
    await rename(`${real}.swp`, real);
    await resume();
    const r = await pick.done;
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/changed on disk since it was read; nothing written/);
    expect(await readFile(real, 'utf8')).toBe(saved);
  }, 30_000);

  it('a recipe gone at the re-check (an editor saving by delete and create): changed, 75, not 70', async () => {
    const { root, real } = await bagsProject('pick-gone');
    const { pick, resume } = await frozenPick(root);
    await rm(real);
    await resume();
    const r = await pick.done;
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/changed on disk since it was read; nothing written/);
    expect(existsSync(real)).toBe(false);
  }, 30_000);
});
