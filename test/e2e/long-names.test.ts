/**
 * Names too long for the file system, with the BUILT CLI against the emulator (which counts
 * every paid submit): a recipe stem that leaves no room for its run lock's name
 * (`<stem>.lock.json.run.lck`, 255 bytes at most) is refused by validate and run (exit 65, the
 * file named, nothing paid), one byte shorter runs; a cache dir whose path leaves no room for the
 * longest temp the store writes is found by its probe before any request: the run goes on with a
 * stand-in and pays once, instead of failing with ENAMETOOLONG (exit 70) halfway.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const RECIPE = `version: 1
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: hat
    prompt: "Keep everything else unchanged. Add a hat."
`;

describe('names too long for the file system', () => {
  it('a recipe stem with no room for its run lock: validate and run refuse it (65), one byte less runs', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const long = `${'r'.repeat(238)}.yml`;
    await writeFile(join(root, long), RECIPE);
    const before = submits(emulator());

    const validated = await cli(['validate', long], { cwd: root, env });
    expect(validated.code, validated.stdout + validated.stderr).toBe(65);
    expect(validated.stdout + validated.stderr).toContain(`${'r'.repeat(238)}.yml: the recipe's file name is too long`);
    const refused = await cli(['run', long], { cwd: root, env });
    expect(refused.code, refused.stdout + refused.stderr).toBe(65);
    expect(submits(emulator())).toBe(before);

    const fits = `${'r'.repeat(237)}.yml`;
    await writeFile(join(root, fits), RECIPE);
    const ran = await cli(['run', fits], { cwd: root, env });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(submits(emulator())).toBe(before + 1);
  });

  it('a cache dir too long for its longest temp: a stand-in from the start, one request paid, exit 0', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    // 4,000 bytes: its journal entries (~80 bytes more) fit PATH_MAX (4,096), its download temps do not.
    let cacheDir = await tempDir('long-cache');
    while (cacheDir.length < 4000) cacheDir = join(cacheDir, 'c'.repeat(Math.min(200, 4000 - cacheDir.length - 1)));
    await mkdir(cacheDir, { recursive: true });
    const before = submits(emulator());

    const r = await cli(['run', 'recipe.yml', '--cache-dir', cacheDir], { cwd: root, env });
    const said = r.stdout + r.stderr;
    expect(r.code, said).toBe(0);
    expect(said).toMatch(/is not writable \(ENAMETOOLONG/);
    expect(submits(emulator())).toBe(before + 1);
  });
});
