/**
 * `kontext clean` and `kontext gc`, run as the built CLI. Runs that fill the cache happen
 * in-process on a standalone emulator, so its request log proves what a later run submits.
 * Every CLI call gets KONTEXT_CACHE_DIR pointing at the test's own cache.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, cliEnv } from '../helpers/cli-spawn.js';
import { ctx, DAY, kontext, outState, run, useCleanGc, withoutBag } from './clean-gc-kit.js';

useCleanGc();

describe('kontext clean', () => {
  it('removes exactly the outputs and lock entries of a removed pass; --dry-run changes nothing', async () => {
    expect(await run()).toBe(4);
    // Things clean must leave alone: a symlink out of out/ (file and folder), a user's note.
    const outside = join(ctx.project.root, 'outside.png');
    const outsideDir = join(ctx.project.root, 'elsewhere');
    await writeFile(outside, 'not an output');
    await mkdir(outsideDir);
    await writeFile(join(outsideDir, 'keep.png'), 'not an output either');
    await symlink(outside, join(ctx.project.outDir, 'link.png'));
    await symlink(outsideDir, join(ctx.project.outDir, 'linked-dir'));
    await writeFile(join(ctx.project.outDir, 'notes.txt'), 'mine');
    await ctx.project.writeRecipe(withoutBag);
    const lockBefore = await readFile(ctx.project.lockPath, 'utf8');
    const before = await outState(ctx.project.root);
    // Outputs are named <out>/<pass>/<source>[-v<k>].<ext>: the bag variants of the source "photo".
    const orphans = [
      'out/test/bag/photo-v1.png',
      'out/test/bag/photo-v2.png',
      'out/test/bags/bag-1.png',
      'out/test/bags/bag-2.png',
    ];
    for (const f of orphans) expect(before.has(f), f).toBe(true);

    const dry = await kontext(['clean', 'recipe.yml', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would remove lock entry bag#1 (recipe.lock.json)');
    for (const f of orphans) expect(dry.stdout).toContain(`would remove ${f}\n`);
    expect(dry.stdout).toContain('would remove empty folder out/test/bag/\n');
    expect(dry.stdout).toContain('would remove empty folder out/test/bags/\n');
    // The symlinks and the note are not kontext's: listed as kept.
    for (const f of ['link.png', 'linked-dir', 'notes.txt'])
      expect(dry.stdout).toContain(`kept out/test/${f} (not kontext's)\n`);
    expect(dry.stdout).toMatch(
      /would remove 2 lock entries, 4 files, 2 folders; kept 3 files kontext did not make \(nothing changed\)/,
    );
    expect(await outState(ctx.project.root)).toEqual(before);
    expect(await readFile(ctx.project.lockPath, 'utf8')).toBe(lockBefore);

    const json = await kontext(['clean', 'recipe.yml', '--dry-run', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      dry_run: true,
      lock_entries: ['bag#1', 'bag#2'],
      files: orphans,
      kept: ['out/test/link.png', 'out/test/linked-dir', 'out/test/notes.txt'],
    });

    const real = await kontext(['clean', 'recipe.yml']);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('removed out/test/bag/photo-v2.png\n');
    expect(real.stdout).toMatch(/clean: removed 2 lock entries, 4 files, 2 folders; kept 3 files kontext did not make/);
    expect(real.stdout).not.toContain('kept out/'); // listed by the dry run only
    const after = await outState(ctx.project.root);
    const expected = new Map([...before].filter(([p]) => !orphans.includes(p)));
    expect(after).toEqual(expected); // the rest byte-identical, symlinks and the note included
    expect(await readFile(outside, 'utf8')).toBe('not an output');
    expect(await readFile(join(outsideDir, 'keep.png'), 'utf8')).toBe('not an output either');
    expect(await stat(join(ctx.project.outDir, 'bags')).catch(() => null)).toBeNull();
    expect(await stat(join(ctx.project.outDir, 'bag')).catch(() => null)).toBeNull();
    const lock = await ctx.project.readLock();
    expect(Object.keys(lock.nodes).sort()).toEqual(['background', 'jacket']);
    const oldLock = JSON.parse(lockBefore) as typeof lock;
    expect(lock.nodes['jacket']).toEqual(oldLock.nodes['jacket']);
    expect(lock.nodes['background']).toEqual(oldLock.nodes['background']);

    expect((await kontext(['clean', 'recipe.yml'])).stdout).toBe(
      'clean: nothing to remove; kept 3 files kontext did not make\n',
    );
    expect(await run()).toBe(0);
  }, 60_000);

  it("removes only what kontext can show it made: a user's images in out/ stay, whatever their names", async () => {
    expect(await run()).toBe(4);
    const out = (f: string): string => join(ctx.project.outDir, f);
    const reference = await readFile(join(ctx.project.root, 'assets', 'portrait-astronaut.jpg'));
    const bagBytes = await readFile(out('bag/photo-v1.png'));
    // The user's own: a reference photo, a mock-up in a folder named like a pass, one dropped into
    // the removed pass's folder, and a hand-edited bag variant (its lock entry goes, the file stays).
    await writeFile(out('reference.png'), reference);
    await mkdir(out('mockups'));
    await writeFile(out('mockups/hand-made.png'), 'a mock-up');
    await writeFile(out('bag/my-edit.png'), 'my own edit');
    await writeFile(out('bag/photo-v2.png'), 'retouched by hand');
    // Made by kontext, named by no lock entry now: a pass removed long ago whose lock entries are
    // gone, its bytes still in the cache (a copy of bag#1's output), in kontext's layout.
    await mkdir(out('old-pass'));
    await writeFile(out('old-pass/photo.png'), bagBytes);
    // Crash leftovers, two days old: beside a kontext file (removed), beside the user's photo (kept).
    const tempOfOurs = out('old-pass/.photo.png.0123456789ab-1.tmp');
    const tempOfTheirs = out('.reference.png.0123456789ab-2.tmp');
    for (const f of [tempOfOurs, tempOfTheirs]) {
      await writeFile(f, 'half');
      await utimes(f, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    }
    await ctx.project.writeRecipe(withoutBag);

    const dry = await kontext(['clean', 'recipe.yml', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout) as { files: string[]; dirs: string[]; kept: string[] };
    const removed = [
      'out/test/bag/photo-v1.png',
      'out/test/bags/bag-1.png',
      'out/test/bags/bag-2.png',
      'out/test/old-pass/.photo.png.0123456789ab-1.tmp',
      'out/test/old-pass/photo.png',
    ];
    expect(report.files).toEqual(removed);
    expect(report.dirs.sort()).toEqual(['out/test/bags', 'out/test/old-pass']); // not out/test/bag: it keeps the user's
    expect(report.kept).toEqual([
      'out/test/bag/my-edit.png',
      'out/test/bag/photo-v2.png',
      'out/test/mockups/hand-made.png',
      'out/test/reference.png',
    ]);
    const text = await kontext(['clean', 'recipe.yml', '--dry-run']);
    expect(text.stdout).toContain("kept out/test/reference.png (not kontext's)\n");

    const before = await outState(ctx.project.root);
    const real = await kontext(['clean', 'recipe.yml']);
    expect(real.code, real.stderr).toBe(0);
    const after = await outState(ctx.project.root);
    expect(after).toEqual(new Map([...before].filter(([p]) => !removed.includes(p))));
    expect(await readFile(out('reference.png'))).toEqual(reference);
    expect(await readFile(out('bag/photo-v2.png'), 'utf8')).toBe('retouched by hand');
    expect(await readFile(tempOfTheirs, 'utf8')).toBe('half');
    expect(Object.keys((await ctx.project.readLock()).nodes).sort()).toEqual(['background', 'jacket']);
  }, 60_000);

  it("an orphan's output checked out as its git LFS pointer goes; a pointer to unknown bytes stays", async () => {
    expect(await run()).toBe(4);
    const out = (f: string): string => join(ctx.project.outDir, f);
    const pointer = (oid: string, size: number): string =>
      `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
    const bytes = await readFile(out('bag/photo-v1.png'));
    const ours = pointer(createHash('sha256').update(bytes).digest('hex'), bytes.length);
    await writeFile(out('bag/photo-v1.png'), ours);
    await writeFile(out('bag/photo-v2.png'), pointer('ab'.repeat(32), 1234));
    await ctx.project.writeRecipe(withoutBag);

    const dry = await kontext(['clean', 'recipe.yml', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const report = JSON.parse(dry.stdout) as { files: string[]; kept: string[] };
    expect(report.files).toContain('out/test/bag/photo-v1.png');
    expect(report.kept).toEqual(['out/test/bag/photo-v2.png']);
    const real = await kontext(['clean', 'recipe.yml']);
    expect(real.code, real.stderr).toBe(0);
    expect(await stat(out('bag/photo-v1.png')).catch(() => null)).toBeNull();
    expect(await readFile(out('bag/photo-v2.png'), 'utf8')).toBe(pointer('ab'.repeat(32), 1234));
  }, 60_000);

  it('bytes kontext does not know are kept; nothing is reached through a symlinked out folder', async () => {
    expect(await run()).toBe(4);
    await ctx.project.writeRecipe(withoutBag);
    // Another cache: the lock still knows the dropped entries' bytes, but a layout file without an
    // entry is known only by the cache, and this one has never seen it.
    const bagBytes = await readFile(join(ctx.project.outDir, 'bag/photo-v1.png'));
    await mkdir(join(ctx.project.outDir, 'old-pass'));
    await writeFile(join(ctx.project.outDir, 'old-pass/photo.png'), bagBytes);
    const lockText = await readFile(ctx.project.lockPath, 'utf8');
    const { 'bag#1': _gone, ...rest } = (await ctx.project.readLock()).nodes;
    await writeFile(ctx.project.lockPath, `${JSON.stringify({ version: 1, nodes: rest }, null, 2)}\n`);
    const other = await mkdtemp(join(tmpdir(), 'kontext-clean-other-'));
    try {
      const r = await cli(['clean', 'recipe.yml', '--dry-run', '--json'], {
        cwd: ctx.project.root,
        env: cliEnv(ctx.home, { KONTEXT_CACHE_DIR: other }),
      });
      const report = JSON.parse(r.stdout) as { files: string[]; kept: string[] };
      // bag#2's output: its lock entry names it and holds its sha256. bag#1's: no entry, no blob.
      expect(report.files).toEqual(['out/test/bag/photo-v2.png', 'out/test/bags/bag-2.png']);
      expect(report.kept).toEqual([
        'out/test/bag/photo-v1.png',
        'out/test/bags/bag-1.png',
        'out/test/old-pass/photo.png',
      ]);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
    await writeFile(ctx.project.lockPath, lockText);

    // out/test is a symlink to a folder (inside the project) full of kontext's own files: not walked.
    const real = join(ctx.project.root, 'real-out');
    await rename(ctx.project.outDir, real);
    await symlink(real, ctx.project.outDir);
    const inReal = async (): Promise<string[]> => (await readdir(real, { recursive: true })).sort();
    const before = await inReal();
    expect(before).toContain('bag/photo-v1.png');
    const linked = await kontext(['clean', 'recipe.yml']);
    expect(linked.code, linked.stderr).toBe(0);
    expect(linked.stdout).toMatch(/^clean: removed 2 lock entries, 0 files, 0 folders$/m);
    expect(await inReal()).toEqual(before);
  }, 60_000);

  it('an invalid recipe exits 65, as validate does, and touches nothing', async () => {
    expect(await run()).toBe(4);
    const before = await outState(ctx.project.root);
    await ctx.project.writeRecipe(`${withoutBag}  - id: x\n    prompt: y\n    from: nowhere\n`);
    const r = await kontext(['clean', 'recipe.yml']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^recipe\.yml:\d+:\d+: .*nowhere/m);
    expect(await outState(ctx.project.root)).toEqual(before);
  }, 60_000);
});
