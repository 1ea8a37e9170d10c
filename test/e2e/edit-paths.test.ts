/**
 * `kontext edit -o` where the result cannot be written, through the built CLI against the
 * emulator. A folder that cannot be made (or written) is exit 73 naming it before the request:
 * it used to be paid first. A result paid for but not written (the folder replaced by a file
 * while the edit ran) says how to get it without paying again, and following that pays nothing:
 * the hint used to say "choose another -o path", and another file name drew a new seed. A folder
 * made for an edit that then writes nothing is removed again.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, spawnCli } from '../helpers/cli-spawn.js';
import { paid, project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

// An edit's request is held at the API (`hold`) while a test changes its output path.
const emulator = useEmulator();

const EDIT = [
  'edit',
  '--image',
  'assets/portrait-astronaut.jpg',
  '--prompt',
  'Make the sky orange',
  '--hosting',
  'inline',
];

describe('kontext edit -o a folder it cannot write', () => {
  it.skipIf(!existsSync('/proc/self'))(
    'is exit 73 naming the folder, with nothing paid',
    async () => {
      const root = await project('version: 1\n');
      const env = runcomfyEnv(emulator(), await tempDir('home'));
      for (const [output, folder] of [
        ['/proc/nope/red.png', '/proc/nope'], // no folder can be made there
        ['/proc/red.png', '/proc'], // the folder exists, no file can be made in it
      ] as const) {
        const r = await cli([...EDIT, '-o', output], { cwd: root, env });
        expect(r.code, r.stderr).toBe(73);
        const lines = r.stderr.trim().split('\n');
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toContain(`cannot write ${folder} (ENOENT)`);
        expect(lines[0]).toContain('nothing was submitted');
      }
      expect(submits(emulator())).toBe(0);
    },
    60_000,
  );
});

describe('kontext edit -o a folder to make', () => {
  it('is made before the request, and removed again when the edit writes nothing', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    // A local image with no hosting stops before the request, after the folder was made.
    const r = await cli([...EDIT.slice(0, -2), '-o', 'made/deep/red.png'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(65);
    expect(existsSync(join(root, 'made'))).toBe(false);
  }, 60_000);
});

describe('kontext edit: a result paid for but not written', () => {
  it('names the file name and the seed that get it without a new request; following it pays nothing', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const release = emulator().hold('running');
    const run = spawnCli([...EDIT, '-o', 'sub/red.png'], { cwd: root, env });
    // Once the request is out, the output folder becomes a file: the write fails after paying.
    while (submits(emulator()) === before) await new Promise((r) => setTimeout(r, 20));
    await rm(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub'), 'a file, not a folder\n');
    release();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(73);
    expect(submits(emulator()) - before).toBe(1);
    expect(r.stderr).toContain(`cannot write ${join(root, 'sub', 'red.png')} (ENOTDIR)`);
    expect(r.stderr).not.toContain('the next run writes it');
    const seed = /--seed (\d+)/.exec(r.stderr)?.[1];
    expect(seed, r.stderr).toBeDefined();
    expect(r.stderr).toContain('-o naming a file red.png (in any folder)');

    // The same file name in another folder, or another name with the seed: from the cache.
    expect(await paid(emulator(), [...EDIT, '-o', 'other/red.png'], root, env)).toBe(0);
    expect(await paid(emulator(), [...EDIT, '-o', 'blue.png', '--seed', String(seed)], root, env)).toBe(0);
    expect(existsSync(join(root, 'other', 'red.png'))).toBe(true);
    expect(existsSync(join(root, 'blue.png'))).toBe(true);
  }, 60_000);

  it('a folder put at the output path while the edit ran: exit 73, and the hint gets the result', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const release = emulator().hold('running');
    const run = spawnCli([...EDIT, '-o', 'red.png'], { cwd: root, env });
    while (submits(emulator()) === before) await new Promise((r) => setTimeout(r, 20));
    await mkdir(join(root, 'red.png'));
    release();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr).toContain(`refusing to write ${join(root, 'red.png')}: it is a folder`);
    expect(r.stderr).toContain('-o naming a file red.png (in any folder)');
    const seed = /--seed (\d+)/.exec(r.stderr)?.[1];
    expect(seed, r.stderr).toBeDefined();
    expect(await paid(emulator(), [...EDIT, '-o', 'blue.png', '--seed', String(seed)], root, env)).toBe(0);
  }, 60_000);

  it('a file put at the output path while the edit ran is kept, and the hint gets the result', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const release = emulator().hold('running');
    const run = spawnCli([...EDIT, '-o', 'red.png'], { cwd: root, env });
    while (submits(emulator()) === before) await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(root, 'red.png'), 'my own drawing\n');
    release();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toContain(`${join(root, 'red.png')} already exists`);
    // Not "pass another -o": another name would pay again.
    expect(r.stderr).not.toContain('pass another -o');
    expect(r.stderr).toContain('move it away, or pass --overwrite to replace it');
    const seed = /--seed (\d+)/.exec(r.stderr)?.[1];
    expect(seed, r.stderr).toBeDefined();
    expect(await paid(emulator(), [...EDIT, '-o', 'kept/red.png'], root, env)).toBe(0);
    expect(await paid(emulator(), [...EDIT, '-o', 'blue.png', '--seed', String(seed)], root, env)).toBe(0);
  }, 60_000);
});
