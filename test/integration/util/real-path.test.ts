/**
 * Where a path really leads, through links that exist and links that dangle: a teammate's clone
 * with `out -> /home/alice/out` committed leads outside the project even though the folder is not
 * there (a write would create it there, or fail after the request was paid for).
 */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileAsOpened, realPathDeep } from '../../../src/util/real-path.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-realpath-'));
  await mkdir(join(dir, 'project'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('realPathDeep', () => {
  it('a path below nothing that exists: as written', async () => {
    expect(await realPathDeep(join(dir, 'project/out/a/b.png'))).toBe(join(dir, 'project/out/a/b.png'));
  });

  it('through a dangling folder link, absolute or relative: where the link points', async () => {
    await symlink(join(dir, 'alice/out'), join(dir, 'project/out'));
    expect(await realPathDeep(join(dir, 'project/out/a/b.png'))).toBe(join(dir, 'alice/out/a/b.png'));
    await rm(join(dir, 'project/out'));
    await symlink('../gone/out', join(dir, 'project/out'));
    expect(await realPathDeep(join(dir, 'project/out/a/b.png'))).toBe(join(dir, 'gone/out/a/b.png'));
  });

  it('a dangling link at the final name, and a chain of them: the last target', async () => {
    await symlink(join(dir, 'project/second'), join(dir, 'project/first'));
    await symlink(join(dir, 'elsewhere/x.png'), join(dir, 'project/second'));
    expect(await realPathDeep(join(dir, 'project/first'))).toBe(join(dir, 'elsewhere/x.png'));
  });

  it('a relative dangling link through a linked folder: read from the real folder, as the kernel does', async () => {
    // project/gen -> ssd/gen (a real folder outside), whose out -> ../x dangles: a write lands in ssd/x.
    await mkdir(join(dir, 'ssd/gen'), { recursive: true });
    await symlink(join(dir, 'ssd/gen'), join(dir, 'project/gen'));
    await symlink('../x', join(dir, 'ssd/gen/out'));
    expect(await realPathDeep(join(dir, 'project/gen/out/p/a.png'))).toBe(join(dir, 'ssd/x/p/a.png'));
  });

  it('a link loop ends (no place a write could land)', async () => {
    await symlink(join(dir, 'project/b'), join(dir, 'project/a'));
    await symlink(join(dir, 'project/a'), join(dir, 'project/b'));
    expect(typeof (await realPathDeep(join(dir, 'project/a/x.png')))).toBe('string');
  });
});

describe('fileAsOpened', () => {
  it("the folder as the OS reaches it, the name kept: a `..` after a linked folder is the real one's", async () => {
    const real = await realpath(dir);
    await mkdir(join(dir, 'project/campaigns/spring'), { recursive: true });
    await writeFile(join(dir, 'project/campaigns/spring/all.yml'), '');
    await symlink('campaigns/spring', join(dir, 'project/linked'));
    await symlink('campaigns/spring/all.yml', join(dir, 'project/top.yml'));
    const cwd = join(dir, 'project');
    expect(fileAsOpened(cwd, 'linked/all.yml')).toBe(join(real, 'project/campaigns/spring/all.yml'));
    expect(fileAsOpened(cwd, 'linked/../spring/all.yml')).toBe(join(real, 'project/campaigns/spring/all.yml'));
    expect(fileAsOpened(cwd, join(cwd, 'linked/./all.yml'))).toBe(join(real, 'project/campaigns/spring/all.yml'));
    // A linked file stays beside its link (its lock and relative paths are the link's folder's).
    expect(fileAsOpened(cwd, 'top.yml')).toBe(join(real, 'project/top.yml'));
    // A folder that is not there: the path as written, resolved.
    expect(fileAsOpened(cwd, 'gone/../x.yml')).toBe(join(cwd, 'x.yml'));
    expect(fileAsOpened(cwd, 'linked/')).toBe(join(cwd, 'linked'));
  });
});
