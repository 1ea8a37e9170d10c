/**
 * `kontext gc` run as the built CLI: `--older-than` keeps what the project lock and the journal
 * need (a re-run submits nothing), `--max-size` removes the least recently used down to the limit,
 * never what a lock needs. Runs that fill the cache happen in-process on a standalone emulator.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordPath, writeRecord } from '../../src/hosting/url-cache.js';
import { openStore } from '../../src/store/index.js';
import { memoFileOf } from '../../src/store/source-hash.js';
import { createProject, recipeYaml, type Project } from '../helpers/run-fixtures.js';
import { ctx, DAY, HAT, kontext, run, useCleanGc } from './clean-gc-kit.js';

useCleanGc();

describe('kontext gc', () => {
  /** Make every record and blob in the cache look last used `ms` ago. */
  async function ageCache(ms: number): Promise<void> {
    const t = (Date.now() - ms) / 1000;
    for (const sub of ['records', 'blobs']) {
      for (const d of await readdir(join(ctx.cache, sub), { recursive: true, withFileTypes: true }))
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
    const store = await openStore(ctx.cache);
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
    const store = await openStore(ctx.cache);
    await store.hashSource(file);
    await store.flush();
    await rm(folder, { recursive: true });
    const memo = memoFileOf(ctx.cache, folder);
    return { memo, bytes: (await stat(memo)).size };
  }

  /** A hosting command's record whose (signed) URL expired an hour ago, as src/hosting writes it. */
  async function expiredHostingRecord(): Promise<{ path: string; bytes: number }> {
    const path = recordPath(ctx.cache, 'command', '0123456789abcdef', 'e'.repeat(64));
    const hour = 3_600_000;
    const url = 'https://cdn.example/e.png?sig=kontext-canary';
    await writeRecord(path, { url, hostedAt: Date.now() - 2 * hour, expiresAt: Date.now() - hour, mediaType: null });
    return { path, bytes: (await stat(path)).size };
  }

  async function cacheFiles(): Promise<string[]> {
    return (await readdir(ctx.cache, { recursive: true, withFileTypes: true }))
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
      const store = await openStore(ctx.cache);
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
      const hosted = await expiredHostingRecord();
      const before = await cacheFiles();

      const dry = await kontext(['gc', '--older-than', '30d', '--dry-run']);
      expect(dry.code).toBe(0);
      // The other recipe's record, its output and its change map (review.map_sha256).
      expect(dry.stdout).toMatch(/^gc --dry-run: would remove 1 record and 2 blobs, freeing .* \(nothing changed\)/);
      expect(dry.stdout).toContain(`would remove 1 memo file of a folder that no longer exists (${gone.bytes} B)\n`);
      expect(dry.stdout).toContain(`would remove 1 hosting record no run will use (${hosted.bytes} B)\n`);
      expect(await cacheFiles()).toEqual(before);

      const r = await kontext(['gc', '--older-than', '30d', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({
        dry_run: false,
        lock_files: [ctx.project.lockPath],
        journal_entries: 1,
        removed: { records: 1, blobs: 2 },
        stale_memos: { files: 1, bytes: gone.bytes },
        stale_hosted: { files: 1, bytes: hosted.bytes },
      });
      await expect(stat(hosted.path)).rejects.toMatchObject({ code: 'ENOENT' });
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

  it("keeps what another git branch's lock or a stash's names: switching back pays nothing (walk-v 3)", async () => {
    const p = ctx.project;
    const git = (...args: string[]): string =>
      execFileSync('git', args, {
        cwd: p.root,
        encoding: 'utf8',
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'T', GIT_COMMITTER_NAME: 'T' },
      });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 't@example.invalid');
    await writeFile(join(p.root, '.gitignore'), 'out/\n'); // results live in the cache only
    expect(await run()).toBe(4);
    git('add', '-A');
    git('commit', '-qm', 'rainy');
    git('checkout', '-qb', 'snow');
    await p.writeRecipe((await readFile(p.recipe, 'utf8')).replace('a rainy street', 'a snowy forest'));
    expect(await run()).toBe(4);
    git('commit', '-qam', 'snow');
    // Tried, paid for, and stashed for later.
    await p.writeRecipe((await readFile(p.recipe, 'utf8')).replace('a brown leather shoulder bag', 'a red tote'));
    expect(await run()).toBe(2);
    git('stash', '-q');
    await ageCache(40 * DAY);

    const r = await kontext(['gc', '--older-than', '30d', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { lock_files: string[]; git_lock_files: string[]; removed: object };
    expect(report.lock_files).toEqual([p.lockPath]);
    // Each branch's committed lock (the one checked out too) and the stash's.
    expect(report.git_lock_files.sort()).toEqual([
      'main:recipe.lock.json',
      'snow:recipe.lock.json',
      'stash@{0}:recipe.lock.json',
    ]);
    expect(report.removed).toMatchObject({ records: 0, blobs: 0 });
    expect((await kontext(['gc', '--older-than', '30d'])).stdout).toContain(
      '30 entries kept for 1 lock file (+ 3 of git branches and stashes) and 0 journal entries',
    );
    // Back on main with no out/: everything comes from the cache, as it does from the stash.
    git('checkout', '-q', 'main');
    await rm(join(p.root, 'out'), { recursive: true });
    expect(await run()).toBe(0);
    git('checkout', '-q', 'snow');
    git('stash', 'pop', '-q');
    await rm(join(p.root, 'out'), { recursive: true });
    expect(await run()).toBe(0);
  }, 90_000);

  it("a lock with a newer kontext's field: status exits 65 saying upgrade; gc warns, keeps what it names", async () => {
    expect(await run()).toBe(4);
    const other = await createProject(recipeYaml([['hat', HAT]]), 'other');
    try {
      expect(await run(other)).toBe(1);
      const lock = JSON.parse(await readFile(ctx.project.lockPath, 'utf8')) as { nodes: Record<string, object> };
      const [first] = Object.values(lock.nodes);
      Object.assign(first ?? {}, { output_media_type: 'image/png' });
      const newer = `${JSON.stringify(lock, null, 2)}\n`;
      await writeFile(ctx.project.lockPath, newer);
      const status = await kontext(['status', 'recipe.yml']);
      expect(status.code).toBe(65);
      expect(status.stderr).toMatch(
        /field "output_media_type" unknown to this kontext: .* a newer one \(upgrade kontext/,
      );
      expect(status.stderr).not.toMatch(/restore/);
      await ageCache(40 * DAY);
      const gc = await kontext(['gc', '--older-than', '30d', '--json', '--project', ctx.project.root]);
      expect(gc.code, gc.stderr).toBe(0);
      expect(gc.stderr).toMatch(
        /^warning: .*recipe\.lock\.json:\d+:\d+: .*newer one; gc kept every entry its text names/,
      );
      const report = JSON.parse(gc.stdout) as { unparsed_locks: { file: string }[] };
      expect(report.unparsed_locks.map((l) => l.file)).toEqual([ctx.project.lockPath]);
      expect([await cached(ctx.project), await cached(other)]).toEqual([
        { record: true, blob: true },
        { record: false, blob: false },
      ]);
      expect(await readFile(ctx.project.lockPath, 'utf8')).toBe(newer);
    } finally {
      await other.cleanup();
    }
  }, 60_000);

  it('--max-size removes the least recently used down to the limit, never what a lock needs', async () => {
    expect(await run()).toBe(4);
    const other = await createProject(recipeYaml([['hat', HAT]]), 'other');
    try {
      expect(await run(other)).toBe(1);
      // A crash's leftover: an adoption's temp copy beside the blobs, two days old.
      const leftover = join(ctx.cache, 'blobs', 'ab', `.${'ab'.repeat(32)}.k1-2.tmp`);
      await mkdir(dirname(leftover), { recursive: true });
      await writeFile(leftover, 'half a copy');
      await utimes(leftover, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
      const gone = [await memoOfDeletedFolder(), await memoOfDeletedFolder()];
      // Used a day ago: a record used in the last minutes may be a cache hit in progress, kept.
      const dayAgo = new Date(Date.now() - DAY);
      for (const dir of ['records', 'blobs'])
        for (const f of await readdir(join(ctx.cache, dir), { recursive: true, withFileTypes: true }))
          if (f.isFile() && !f.name.startsWith('.')) await utimes(join(f.parentPath, f.name), dayAgo, dayAgo);
      const r = await kontext(['gc', '--max-size', '1B', '--project', ctx.project.root]);
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
      // The other's entry, just adopted back, is not protected here, but it was used minutes ago: kept, and said so.
      const recent = await kontext(['gc', '--max-size', '1B', '--project', ctx.project.root]);
      expect(recent.stdout).toMatch(
        /\n\d+ entr(y|ies) used in the last 11 minutes, kept \(a run may be reading them\)\n/,
      );
      expect(await cached(other)).toEqual({ record: true, blob: true });
      const both = await kontext(['gc', '--max-size', '1B', '--project', ctx.project.root, other.root]);
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
