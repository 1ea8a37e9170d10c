/**
 * `mkdir -p` that always ends (util/mkdir-p.ts): what Node's recursive mkdir does for a real
 * folder tree, and an error, not an endless loop at 100 % CPU, where a pseudo file system says
 * ENOENT for a name in a folder that exists (`/proc/nope`).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirp, mkdirpSync } from '../../../src/util/mkdir-p.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-mkdirp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const forms = [
  ['async', mkdirp],
  ['sync', async (d: string, mode?: number) => mkdirpSync(d, mode)],
] as const;

describe.each(forms)('mkdirp (%s)', (_name, make) => {
  it('makes the missing folders and says which was first, as Node does; nothing for one that exists', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    expect(await make(deep)).toBe(join(dir, 'a'));
    expect((await stat(deep)).isDirectory()).toBe(true);
    expect(await make(deep)).toBeUndefined();
    expect(await make(join(deep, 'd'))).toBe(join(deep, 'd'));
    // Relative paths are resolved as Node resolves them (against the process's cwd).
    expect(await make(`${dir}/a/../e`)).toBe(join(dir, 'e'));
  });

  it('gives each folder it makes the mode asked for', async () => {
    await make(join(dir, 'p', 'q'), 0o700);
    for (const d of ['p', 'p/q']) expect((await stat(join(dir, d))).mode & 0o777).toBe(0o700);
  });

  it("a file in the way is Node's own error: EEXIST for the folder itself, ENOTDIR below it", async () => {
    await writeFile(join(dir, 'f'), 'in the way');
    await expect(make(join(dir, 'f'))).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkdir' });
    await expect(make(join(dir, 'f', 'x', 'y'))).rejects.toMatchObject({
      code: 'ENOTDIR',
      path: join(dir, 'f', 'x'),
    });
  });

  it('a folder another process made meanwhile is no error', async () => {
    await mkdir(join(dir, 'a'));
    await Promise.all([make(join(dir, 'a', 'b', 'c')), make(join(dir, 'a', 'b', 'd')), make(join(dir, 'a', 'b'))]);
    expect((await stat(join(dir, 'a', 'b', 'd'))).isDirectory()).toBe(true);
  });

  it.skipIf(!existsSync('/proc/self'))('/proc/nope: ENOENT naming it, at once (Node loops for ever)', async () => {
    const started = Date.now();
    for (const path of ['/proc/nope', '/proc/nope/deeper', '/proc/self/nope']) {
      await expect(make(path)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'mkdir' });
    }
    await expect(make('/proc/nope/deeper')).rejects.toMatchObject({ path: '/proc/nope' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
