/**
 * The CLI with a real exFAT disk (helpers/exfat-disk.ts: a USB stick's or camera card's file
 * system; names compared without case, as on macOS and Windows; no hard links, no symlinks)
 * as the cache dir, and as the project's disk. Skipped, saying why, where no exFAT disk can be
 * mounted.
 */
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv } from '../helpers/cli-spawn.js';
import { paid, project, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS } from '../helpers/run-fixtures.js';
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

  // fal returns a JPEG, so `ASSETS/portrait-astronaut.{ext}` is the source's own name in another
  // case: one file here. Validate said ok and the write guard compared names as written: with
  // --overwrite the output replaced the source, and every later run paid again for a source
  // that had changed.
  it("as the project's disk: a save: naming the source in another case is refused before paying", async (t) => {
    if (typeof disk === 'string') return t.skip();
    const root = join(disk.dir, 'project');
    await mkdir(join(root, '.git'), { recursive: true });
    await mkdir(join(root, 'assets'));
    const source = join(root, 'assets', 'portrait-astronaut.jpg');
    await copyFile(join(ASSETS, 'portrait-astronaut.jpg'), source);
    const original = await readFile(source);
    const recipe = (save: string): Promise<void> =>
      writeFile(
        join(root, 'recipe.yml'),
        'version: 1\nname: walk\nprovider: fal\nhosting: { mode: inline }\n' +
          'sources:\n  photo: assets/portrait-astronaut.jpg\n' +
          `passes:\n  - id: tint\n    prompt: "Tint the whole image blue"\n    save: ${save}\n`,
      );
    const env = cliEnv(await tempDir('home'), {
      FAL_QUEUE_BASE: emulator().origin,
      FAL_KEY: 'fal-e2e-id:fal-e2e-secret',
      KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    });
    const falSubmits = (): number =>
      emulator()
        .requestLog()
        .filter((e) => e.method === 'POST' && e.path.startsWith('/fal-ai/') && !e.internal).length;

    await recipe('final/{source}.{ext}');
    const before = falSubmits();
    for (const _ of [1, 2]) {
      const r = await cli(['run', 'recipe.yml'], { cwd: root, env });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(falSubmits() - before).toBe(1);

    await recipe('ASSETS/portrait-astronaut.{ext}');
    const r = await cli(['run', 'recipe.yml', '--overwrite'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toContain('save path "ASSETS/portrait-astronaut.{ext}" would write into the source "photo"');
    expect(falSubmits() - before).toBe(1);
    expect(await readFile(source)).toEqual(original);
  }, 120_000);

  // A source renamed in case only (`Portrait.jpg` → `portrait.jpg`, as a Mac user does): the new
  // node's output is the dropped entry's file there, under its old spelling. clean removed it as
  // the dropped entry's, and the next run restored it from the cache.
  it("as the project's disk: clean after a source's case-only rename keeps the outputs", async (t) => {
    if (typeof disk === 'string') return t.skip();
    const root = join(disk.dir, 'renamed');
    await mkdir(join(root, '.git'), { recursive: true });
    await mkdir(join(root, 'assets'));
    await copyFile(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'assets', 'Portrait.jpg'));
    await writeFile(
      join(root, 'recipe.yml'),
      RECIPE.replace('photo: assets/portrait-astronaut.jpg', 'shots: assets/*.jpg'),
    );
    const env = runcomfyEnv(emulator(), await tempDir('home'), { KONTEXT_CACHE_DIR: join(disk.dir, 'cache-renamed') });
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(2);
    await rename(join(root, 'assets', 'Portrait.jpg'), join(root, 'assets', 'portrait.jpg'));
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(0);
    const clean = await cli(['clean', 'recipe.yml'], { cwd: root, env });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('clean: removed 2 lock entries, 0 files');
    expect(await readdir(join(root, 'out', 'walk', 'tint'))).toEqual(['Portrait.png']);
    const run = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('restored');
  }, 120_000);
});
