/**
 * Output writes against real symlinks in real temp folders: the check follows every existing
 * folder of the target, a link at the final name is replaced (never written through), and the
 * recipe, its lock, its sources, `.git` and the cache dir are never overwritten.
 */
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSafely } from '../../../src/store/safe-write.js';
import { buildWriteGuard, type WriteGuard } from '../../../src/store/write-guard.js';

let root: string;
let home: string;
let blob: string;
let guard: WriteGuard;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'kontext-safe-'));
  home = await mkdtemp(join(tmpdir(), 'kontext-home-'));
  await mkdir(join(root, '.git'));
  await writeFile(join(root, '.git', 'config'), '[core]\n');
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'assets', 'photo.jpg'), 'source bytes');
  await writeFile(join(root, 'recipe.yml'), 'version: 1\n');
  await writeFile(join(root, 'recipe.lock.json'), '{}\n');
  await writeFile(join(home, '.bashrc'), 'precious\n');
  blob = join(root, 'blob.png');
  await writeFile(blob, 'new output bytes');
  guard = await buildWriteGuard({
    projectRoot: root,
    allowOutsideRoot: false,
    protectedFiles: [join(root, 'recipe.yml'), join(root, 'recipe.lock.json'), join(root, 'assets', 'photo.jpg')],
    cacheDir: join(root, '.kontext'),
  });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

const write = (rel: string, g: WriteGuard = guard): Promise<boolean> => copyFileSafely(blob, join(root, rel), g, true);

describe('copyFileSafely', () => {
  it('writes a plain output, creating folders', async () => {
    expect(await write('out/r/a.png')).toBe(true);
    expect(await readFile(join(root, 'out/r/a.png'), 'utf8')).toBe('new output bytes');
  });

  it('`save: homelink/.bashrc` through a symlinked folder is refused; the outside file is unchanged', async () => {
    await symlink(home, join(root, 'homelink'));
    await expect(write('homelink/.bashrc')).rejects.toMatchObject({ code: 'E_WRITE_REFUSED', exitCode: 65 });
    await expect(write('homelink/.bashrc')).rejects.toThrow(/leads to .*outside the project root/);
    expect(await readFile(join(home, '.bashrc'), 'utf8')).toBe('precious\n');
  });

  it('a symlink at the final name is replaced, never followed', async () => {
    await mkdir(join(root, 'out'));
    await symlink(join(home, '.bashrc'), join(root, 'out', 'a.png'));
    expect(await write('out/a.png')).toBe(true);
    expect((await lstat(join(root, 'out', 'a.png'))).isFile()).toBe(true);
    expect(await readFile(join(home, '.bashrc'), 'utf8')).toBe('precious\n');
  });

  it('a same-size file through a link is not taken for the output (unforced)', async () => {
    await mkdir(join(root, 'out'));
    await writeFile(join(home, 'same.png'), 'x'.repeat('new output bytes'.length));
    await symlink(join(home, 'same.png'), join(root, 'out', 'a.png'));
    expect(await copyFileSafely(blob, join(root, 'out', 'a.png'), guard, false)).toBe(true);
    expect(await readFile(join(home, 'same.png'), 'utf8')).toBe('x'.repeat(16));
  });

  // copyFile gave the output its blob's mode: a cache written under umask 077 (0600) or restored
  // read-only (0444) made outputs the team could not read, or their owner could not edit.
  it.each([
    ['0600', 0o600],
    ['0444', 0o444],
  ])('an output from a blob of mode %s gets the mode of a new file here', async (_, mode) => {
    await mkdir(join(root, 'out'));
    await writeFile(join(root, 'out', 'new.txt'), 'any new file');
    const fresh = (await stat(join(root, 'out', 'new.txt'))).mode & 0o777;
    await chmod(blob, mode);
    expect(await write('out/a.png')).toBe(true);
    expect((await stat(join(root, 'out', 'a.png'))).mode & 0o777).toBe(fresh);
    expect(await readFile(join(root, 'out', 'a.png'), 'utf8')).toBe('new output bytes');
  });

  it('refuses a folder at the final name', async () => {
    await mkdir(join(root, 'out', 'a.png'), { recursive: true });
    await expect(write('out/a.png')).rejects.toThrow(/it is a folder/);
  });

  it.each([
    ['.git/config', /inside a \.git folder/],
    ['recipe.yml', /the recipe or one of its sources/],
    ['recipe.lock.json', /a lock file/],
    ['other.lock.json', /a lock file/],
    ['assets/photo.jpg', /the recipe or one of its sources/],
    ['.kontext/blobs/x.png', /inside the cache dir/],
    // Other files on this disk; the protected ones on a Mac, on Windows or on exFAT, where names
    // are compared without case (and in either Unicode form).
    ['.GIT/config', /inside a \.git folder/],
    ['Recipe.YML', /the recipe or one of its sources/],
    ['Recipe.Lock.Json', /a lock file/],
    ['ASSETS/Photo.JPG', /the recipe or one of its sources/],
    ['.Kontext/blobs/x.png', /inside the cache dir/],
  ])('refuses %s', async (rel, why) => {
    await expect(write(rel)).rejects.toThrow(why);
  });

  it('refuses the recipe reached through a symlinked folder', async () => {
    await symlink(root, join(root, 'loop'));
    await expect(write('loop/recipe.yml')).rejects.toThrow(/the recipe or one of its sources/);
    expect(await readFile(join(root, 'recipe.yml'), 'utf8')).toBe('version: 1\n');
  });

  it('--allow-outside-root allows outside writes, never .git, locks, the recipe or sources', async () => {
    const loose = await buildWriteGuard({
      projectRoot: root,
      allowOutsideRoot: true,
      protectedFiles: [join(root, 'recipe.yml'), join(root, 'assets', 'photo.jpg')],
      cacheDir: join(root, '.kontext'),
    });
    await symlink(home, join(root, 'homelink'));
    expect(await write('homelink/new.png', loose)).toBe(true);
    await expect(write('.git/config', loose)).rejects.toThrow(/\.git/);
    await expect(write('recipe.lock.json', loose)).rejects.toThrow(/lock/);
    await expect(write('assets/photo.jpg', loose)).rejects.toThrow(/sources/);
    await expect(write('.kontext/x.png', loose)).rejects.toThrow(/cache/);
  });
});
