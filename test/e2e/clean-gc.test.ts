/**
 * `kontext clean` and `kontext gc`, run as the built CLI. Runs that fill the cache happen
 * in-process on a standalone emulator, so its request log proves what a later run submits.
 * Every CLI call gets KONTEXT_CACHE_DIR pointing at the test's own cache.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { memoFileOf } from '../../src/store/source-hash.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import {
  createProject,
  recipeYaml,
  runIn,
  sha256File,
  startRig,
  summaryOf,
  type Project,
  type Rig,
} from '../helpers/run-fixtures.js';

const DAY = 86_400_000;
const BG = 'Keep the face unchanged. Replace the background with a rainy street.';
const JACKET = 'Keep the face and background unchanged. Change the jacket to a yellow raincoat.';
const BAG = 'Keep the face and clothing unchanged. Add a brown leather shoulder bag.';
const HAT = 'Keep the face and clothing unchanged. Add a red wool hat.';

const withBag = recipeYaml([
  ['background', BG],
  ['jacket', JACKET, 'save: out/test/final/{source}.{ext}'],
  ['bag', BAG, 'from: jacket', 'variants: 2', 'save: out/test/bags/{pass}-{variant}.{ext}'],
]);
const withoutBag = recipeYaml([
  ['background', BG],
  ['jacket', JACKET, 'save: out/test/final/{source}.{ext}'],
]);

let home: string;
let cache: string;
let rig: Rig;
let project: Project;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kontext-clean-home-'));
  await ensureBuilt();
}, 180_000);
afterAll(() => rm(home, { recursive: true, force: true }));

beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'kontext-clean-cache-'));
  rig = await startRig();
  project = await createProject(withBag);
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
  await rm(cache, { recursive: true, force: true });
});

const env = (): Record<string, string> => cliEnv(home, { KONTEXT_CACHE_DIR: cache });
const kontext = (args: readonly string[], cwd = project.root) => cli(args, { cwd, env: env() });

/** A run in-process on the rig with this test's cache; returns how many requests it submitted. */
async function run(p: Project = project): Promise<number> {
  const before = rig.submits().length;
  const result = await runIn(p, {}, { rig, env: { KONTEXT_CACHE_DIR: cache } });
  expect(summaryOf(result).exitCode).toBe(0);
  return rig.submits().length - before;
}

/** Path → sha256 of every file under the project's out/, symlinks as their target text. */
async function outState(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const d of await readdir(join(root, 'out'), { recursive: true, withFileTypes: true })) {
    const p = join(d.parentPath, d.name);
    if (d.isFile()) out.set(p.slice(root.length + 1), await sha256File(p));
    else if (d.isSymbolicLink()) out.set(p.slice(root.length + 1), 'symlink');
  }
  return out;
}

describe('kontext clean', () => {
  it('removes exactly the outputs and lock entries of a removed pass; --dry-run changes nothing', async () => {
    expect(await run()).toBe(4);
    // Things clean must leave alone: a symlink out of out/ (file and folder), a user's note.
    const outside = join(project.root, 'outside.png');
    const outsideDir = join(project.root, 'elsewhere');
    await writeFile(outside, 'not an output');
    await mkdir(outsideDir);
    await writeFile(join(outsideDir, 'keep.png'), 'not an output either');
    await symlink(outside, join(project.outDir, 'link.png'));
    await symlink(outsideDir, join(project.outDir, 'linked-dir'));
    await writeFile(join(project.outDir, 'notes.txt'), 'mine');
    await project.writeRecipe(withoutBag);
    const lockBefore = await readFile(project.lockPath, 'utf8');
    const before = await outState(project.root);
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
    expect(await outState(project.root)).toEqual(before);
    expect(await readFile(project.lockPath, 'utf8')).toBe(lockBefore);

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
    const after = await outState(project.root);
    const expected = new Map([...before].filter(([p]) => !orphans.includes(p)));
    expect(after).toEqual(expected); // the rest byte-identical, symlinks and the note included
    expect(await readFile(outside, 'utf8')).toBe('not an output');
    expect(await readFile(join(outsideDir, 'keep.png'), 'utf8')).toBe('not an output either');
    expect(await stat(join(project.outDir, 'bags')).catch(() => null)).toBeNull();
    expect(await stat(join(project.outDir, 'bag')).catch(() => null)).toBeNull();
    const lock = await project.readLock();
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
    const out = (f: string): string => join(project.outDir, f);
    const reference = await readFile(join(project.root, 'assets', 'portrait-astronaut.jpg'));
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
    await project.writeRecipe(withoutBag);

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

    const before = await outState(project.root);
    const real = await kontext(['clean', 'recipe.yml']);
    expect(real.code, real.stderr).toBe(0);
    const after = await outState(project.root);
    expect(after).toEqual(new Map([...before].filter(([p]) => !removed.includes(p))));
    expect(await readFile(out('reference.png'))).toEqual(reference);
    expect(await readFile(out('bag/photo-v2.png'), 'utf8')).toBe('retouched by hand');
    expect(await readFile(tempOfTheirs, 'utf8')).toBe('half');
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(['background', 'jacket']);
  }, 60_000);

  it('bytes kontext does not know are kept; nothing is reached through a symlinked out folder', async () => {
    expect(await run()).toBe(4);
    await project.writeRecipe(withoutBag);
    // Another cache: the lock still knows the dropped entries' bytes, but a layout file without an
    // entry is known only by the cache, and this one has never seen it.
    const bagBytes = await readFile(join(project.outDir, 'bag/photo-v1.png'));
    await mkdir(join(project.outDir, 'old-pass'));
    await writeFile(join(project.outDir, 'old-pass/photo.png'), bagBytes);
    const lockText = await readFile(project.lockPath, 'utf8');
    const { 'bag#1': _gone, ...rest } = (await project.readLock()).nodes;
    await writeFile(project.lockPath, `${JSON.stringify({ version: 1, nodes: rest }, null, 2)}\n`);
    const other = await mkdtemp(join(tmpdir(), 'kontext-clean-other-'));
    try {
      const r = await cli(['clean', 'recipe.yml', '--dry-run', '--json'], {
        cwd: project.root,
        env: cliEnv(home, { KONTEXT_CACHE_DIR: other }),
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
    await writeFile(project.lockPath, lockText);

    // out/test is a symlink to a folder (inside the project) full of kontext's own files: not walked.
    const real = join(project.root, 'real-out');
    await rename(project.outDir, real);
    await symlink(real, project.outDir);
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
    const before = await outState(project.root);
    await project.writeRecipe(`${withoutBag}  - id: x\n    prompt: y\n    from: nowhere\n`);
    const r = await kontext(['clean', 'recipe.yml']);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^recipe\.yml:\d+:\d+: .*nowhere/m);
    expect(await outState(project.root)).toEqual(before);
  }, 60_000);
});

describe('kontext gc', () => {
  /** Make every record and blob in the cache look last used `ms` ago. */
  async function ageCache(ms: number): Promise<void> {
    const t = (Date.now() - ms) / 1000;
    for (const sub of ['records', 'blobs']) {
      for (const d of await readdir(join(cache, sub), { recursive: true, withFileTypes: true }))
        if (d.isFile()) await utimes(join(d.parentPath, d.name), t, t);
    }
  }

  /**
   * Is the cache entry of `p`'s only node (its run record and output blob) in the cache? A
   * removed one costs nothing while the lock and the out/ file still hold it: the next run
   * adopts them back into the cache.
   */
  async function cached(p: Project): Promise<{ record: boolean; blob: boolean }> {
    const [entry] = Object.values((await p.readLock()).nodes);
    if (entry === undefined) throw new Error('no lock entry');
    const store = await openStore(cache);
    return { record: (await store.getRecord(entry.key)) !== null, blob: await store.hasBlob(entry.output_sha256) };
  }

  /**
   * The source-hash memo file of a folder hashed in (a two-day-old file in it, through the
   * store's memo) and then deleted, as a removed temp project or out/ folder leaves it.
   */
  async function memoOfDeletedFolder(): Promise<{ memo: string; bytes: number }> {
    const folder = await mkdtemp(join(tmpdir(), 'kontext-gone-'));
    const file = join(folder, 'photo.png');
    await writeFile(file, 'pixels');
    await utimes(file, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    const store = await openStore(cache);
    await store.hashSource(file);
    await store.flush();
    await rm(folder, { recursive: true });
    const memo = memoFileOf(cache, folder);
    return { memo, bytes: (await stat(memo)).size };
  }

  async function cacheFiles(): Promise<string[]> {
    return (await readdir(cache, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name))
      .sort();
  }

  it('--older-than keeps what the project lock and the journal need; a re-run submits nothing', async () => {
    expect(await run()).toBe(4);
    // Another recipe, outside this project, sharing the cache: not protected.
    const other = await createProject(recipeYaml([['hat', HAT]]), 'other');
    try {
      expect(await run(other)).toBe(1);
      // A request in flight whose input is a cached blob nothing else needs.
      const store = await openStore(cache);
      const input = await store.putBlob(Buffer.from('input of a request in flight'));
      await store.journal.add({
        key: 'f'.repeat(64),
        node: 'x',
        provider: 'emulator',
        model: 'm',
        seed: 1,
        input_sha256: input,
        request_id: 'req-in-flight',
        submitted_at: new Date().toISOString(),
      });
      await ageCache(40 * DAY);
      const gone = await memoOfDeletedFolder();
      const before = await cacheFiles();

      const dry = await kontext(['gc', '--older-than', '30d', '--dry-run']);
      expect(dry.code).toBe(0);
      // The other recipe's record, its output and its change map (review.map_sha256).
      expect(dry.stdout).toMatch(/^gc --dry-run: would remove 1 record and 2 blobs, freeing .* \(nothing changed\)/);
      expect(dry.stdout).toContain(`would remove 1 memo file of a folder that no longer exists (${gone.bytes} B)\n`);
      expect(await cacheFiles()).toEqual(before);

      const r = await kontext(['gc', '--older-than', '30d', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({
        dry_run: false,
        lock_files: [project.lockPath],
        journal_entries: 1,
        removed: { records: 1, blobs: 2 },
        stale_memos: { files: 1, bytes: gone.bytes },
      });
      await expect(stat(gone.memo)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(await store.hasBlob(input)).toBe(true);
      expect(await store.journal.list()).toHaveLength(1);
      // What went is the other recipe's entry; it comes back, free, from its lock and out/ file.
      expect(await cached(other)).toEqual({ record: false, blob: false });
      expect(await run()).toBe(0);
      expect(await run(other)).toBe(0);
      expect(await cached(other)).toEqual({ record: true, blob: true });
    } finally {
      await other.cleanup();
    }
  }, 90_000);

  it('--max-size removes the least recently used down to the limit, never what a lock needs', async () => {
    expect(await run()).toBe(4);
    const other = await createProject(recipeYaml([['hat', HAT]]), 'other');
    try {
      expect(await run(other)).toBe(1);
      // A crash's leftover: an adoption's temp copy beside the blobs, two days old.
      const leftover = join(cache, 'blobs', 'ab', `.${'ab'.repeat(32)}.k1-2.tmp`);
      await mkdir(dirname(leftover), { recursive: true });
      await writeFile(leftover, 'half a copy');
      await utimes(leftover, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
      const gone = [await memoOfDeletedFolder(), await memoOfDeletedFolder()];
      // Used a day ago: a record used in the last minutes may be a cache hit in progress, kept.
      const dayAgo = new Date(Date.now() - DAY);
      for (const dir of ['records', 'blobs'])
        for (const f of await readdir(join(cache, dir), { recursive: true, withFileTypes: true }))
          if (f.isFile() && !f.name.startsWith('.')) await utimes(join(f.parentPath, f.name), dayAgo, dayAgo);
      const r = await kontext(['gc', '--max-size', '1B', '--project', project.root]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^gc: removed 1 record and 2 blobs, freed /); // output and change map
      expect(r.stdout).toContain('removed 1 temp file of crashed writes (11 B)');
      const memoBytes = gone.reduce((n, g) => n + g.bytes, 0);
      expect(r.stdout).toContain(`removed 2 memo files of folders that no longer exist (${memoBytes} B)\n`);
      for (const { memo } of gone) await expect(stat(memo)).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(stat(leftover)).rejects.toMatchObject({ code: 'ENOENT' });
      expect(r.stdout).toContain('still over --max-size');
      expect(await cached(other)).toEqual({ record: false, blob: false });
      expect(await run()).toBe(0);
      // Both projects named: nothing of either goes (the other's entry adopted back first).
      expect(await run(other)).toBe(0);
      expect(await cached(other)).toEqual({ record: true, blob: true });
      const both = await kontext(['gc', '--max-size', '1B', '--project', project.root, other.root]);
      expect(both.stdout).toMatch(/^gc: removed 0 records and 0 blobs/);
    } finally {
      await other.cleanup();
    }
  }, 90_000);

  it.each([
    [['gc', '--older-than', '30x']],
    [['gc', '--older-than', '30']],
    [['gc', '--max-size', '2 GB']],
    [['gc', '--max-size', 'lots']],
    [['gc', '--max-size', '-1GB']],
    [['gc']],
    [['gc', '--older-than', '1d', '--project', '/nonexistent/kontext-project']],
  ])('%j exits 64 with one line', async (args) => {
    const r = await kontext(args);
    expect(r.code).toBe(64);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});
