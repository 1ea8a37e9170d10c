/**
 * The CLI with a real exFAT disk (helpers/exfat-disk.ts: a USB stick's or camera card's file
 * system; names compared without case, as on macOS and Windows; no hard links, no symlinks)
 * as the cache dir. Skipped, saying why, where no exFAT disk can be mounted.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { paid, project, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { type ExfatDisk, mountExfat } from '../helpers/exfat-disk.js';

const emulator = useEmulator();
let disk: ExfatDisk | string = 'not mounted yet';
beforeAll(async () => {
  disk = await mountExfat();
}, 60_000);
afterAll(async () => {
  if (typeof disk === 'string') process.stderr.write(`exfat-disk.test.ts: SKIPPED: ${disk}\n`);
  else await disk.unmount();
});

const RECIPE = `version: 1
name: walk
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
  - id: hat
    prompt: "Add a red hat"
`;

describe('an exFAT disk', () => {
  // The journal's claim hard-linked its temp to the entry's name: EPERM, exit 70, on every run.
  it('as the cache dir: run, run again, the cache deleted, gc: two paid in all', async (t) => {
    if (typeof disk === 'string') return t.skip();
    const root = await project(RECIPE);
    const cache = join(disk.dir, 'cache');
    const env = runcomfyEnv(emulator(), await tempDir('home'), { KONTEXT_CACHE_DIR: cache });
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(2);
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(0);
    await rm(cache, { recursive: true });
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(0);
    const gc = await cli(['gc', '--older-than', '1m'], { cwd: root, env });
    expect(gc.code, gc.stderr).toBe(0);
    expect(await paid(emulator(), ['run', 'recipe.yml', '--force', 'hat'], root, env)).toBe(1);
  }, 120_000);
});
