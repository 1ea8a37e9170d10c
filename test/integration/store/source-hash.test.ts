import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** The memo file of the folder `folder` in the cache dir `root`. */
const memoFile = (root: string, folder: string) => join(root, 'sources', `${sha(folder).slice(0, 32)}.json`);
/** Well outside the racy-mtime window, so the memo may remember the file. */
const OLD = new Date('2024-01-01T00:00:00Z');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-srchash-'));
  store = await openStore(join(dir, '.kontext'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeOld(path: string, text: string, when = OLD): Promise<void> {
  await writeFile(path, text);
  await utimes(path, when, when);
}

describe('hashSource', () => {
  it('hashes a file and reports its size', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    expect(await store.hashSource(file)).toEqual({ sha256: sha('AAAA'), bytes: 4 });
  });

  it('does not re-read an unchanged file: same size and mtime give the remembered hash', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await store.hashSource(file);
    // Same size, same mtime, same inode, different bytes: only a memo hit can return the old hash.
    await writeOld(file, 'BBBB');
    expect((await store.hashSource(file)).sha256).toBe(sha('AAAA'));
  });

  it('a memo that cannot be saved (disk full, a file where its folder goes) is skipped, not an error', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await store.hashSource(file);
    await rm(join(dir, '.kontext', 'sources'), { recursive: true, force: true });
    await writeFile(join(dir, '.kontext', 'sources'), 'not a folder');
    await expect(store.flush()).resolves.toBeUndefined();
    // Saved at the next flush once it can be.
    await rm(join(dir, '.kontext', 'sources'));
    await store.flush();
    expect(JSON.parse(await readFile(memoFile(join(dir, '.kontext'), dir), 'utf8')).entries['a.png']).toMatchObject({
      size: 4,
    });
  });

  it('re-hashes when the mtime changes', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await store.hashSource(file);
    await writeOld(file, 'BBBB', new Date('2024-01-02T00:00:00Z'));
    expect((await store.hashSource(file)).sha256).toBe(sha('BBBB'));
  });

  it('re-hashes when the size changes', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await store.hashSource(file);
    await writeOld(file, 'BBBBB');
    expect(await store.hashSource(file)).toEqual({ sha256: sha('BBBBB'), bytes: 5 });
  });

  it('persists the memo on flush, for the next run', async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await store.hashSource(file);
    await store.flush();
    const memo = JSON.parse(await readFile(memoFile(store.root, dir), 'utf8')) as {
      version: number;
      folder: string;
      entries: Record<string, unknown>;
    };
    expect(memo).toMatchObject({ version: 2, folder: dir });
    expect(memo.entries['a.png']).toMatchObject({ size: 4, sha256: sha('AAAA') });
    await writeOld(file, 'BBBB');
    const next = await openStore(store.root);
    expect((await next.hashSource(file)).sha256).toBe(sha('AAAA'));
  });

  it('merges with what another process flushed meanwhile (no entry of either is lost)', async () => {
    const [a, b] = [join(dir, 'a.png'), join(dir, 'b.png')];
    await writeOld(a, 'AAAA');
    await writeOld(b, 'BBBB');
    const other = await openStore(store.root);
    await store.hashSource(a);
    await other.hashSource(b);
    await other.flush();
    await store.flush();
    const memo = JSON.parse(await readFile(memoFile(store.root, dir), 'utf8')) as {
      entries: Record<string, unknown>;
    };
    expect(Object.keys(memo.entries).sort()).toEqual(['a.png', 'b.png']);
  });

  it('does not remember a file modified just now (its mtime tick may not be over)', async () => {
    const file = join(dir, 'fresh.png');
    const justNow = new Date();
    await writeOld(file, 'AAAA', justNow);
    await store.hashSource(file);
    // Same size and the very same mtime: were the fresh file remembered, this would be a stale hit.
    await writeOld(file, 'BBBB', justNow);
    expect((await store.hashSource(file)).sha256).toBe(sha('BBBB'));
  });

  it('treats a corrupt memo file as empty', async () => {
    await mkdir(join(store.root, 'sources'), { recursive: true });
    await writeFile(memoFile(store.root, dir), '{"version":2,"entries":{"a.png":{"size":"no"}');
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    const fresh = await openStore(store.root);
    expect((await fresh.hashSource(file)).sha256).toBe(sha('AAAA'));
    await fresh.flush();
    expect(JSON.parse(await readFile(memoFile(store.root, dir), 'utf8'))).toMatchObject({ version: 2, folder: dir });
  });

  it('keeps one memo per folder: a command reads only the memos of the folders it hashes in', async () => {
    const [x, y] = [join(dir, 'project-x'), join(dir, 'project-y')];
    for (const f of [x, y]) await mkdir(f);
    await writeOld(join(x, 'a.png'), 'AAAA');
    await writeOld(join(y, 'b.png'), 'BBBB');
    await store.hashSource(join(x, 'a.png'));
    await store.hashSource(join(y, 'b.png'));
    await store.flush();
    expect((await readdir(join(store.root, 'sources'))).sort()).toEqual(
      [memoFile(store.root, x), memoFile(store.root, y)].map((f) => f.slice(f.lastIndexOf('/') + 1)).sort(),
    );
    // Project y's memo is damaged: project x, which never reads it, still has its memo.
    await writeFile(memoFile(store.root, y), 'not json');
    await writeOld(join(x, 'a.png'), 'CCCC'); // same size and mtime: only a memo hit returns the old hash
    const next = await openStore(store.root);
    expect((await next.hashSource(join(x, 'a.png'))).sha256).toBe(sha('AAAA'));
    expect((await next.hashSource(join(y, 'b.png'))).sha256).toBe(sha('BBBB')); // read again, not remembered
  });

  it("another folder's memo under the same name is not used (the file names its folder)", async () => {
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    await mkdir(join(store.root, 'sources'), { recursive: true });
    const entry = { size: 4, mtime_ns: String(BigInt(OLD.getTime()) * 1_000_000n), sha256: sha('EVIL') };
    const { ino } = await stat(file, { bigint: true });
    await writeFile(
      memoFile(store.root, dir),
      JSON.stringify({ version: 2, folder: '/elsewhere', entries: { 'a.png': { ...entry, ino: String(ino) } } }),
    );
    expect((await (await openStore(store.root)).hashSource(file)).sha256).toBe(sha('AAAA'));
  });

  it('removes the single memo file of the older layout at its first flush', async () => {
    await writeFile(join(store.root, 'sources.json'), JSON.stringify({ version: 1, entries: {} }));
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    const fresh = await openStore(store.root);
    await fresh.hashSource(file);
    await fresh.flush();
    expect(await readdir(store.root)).not.toContain('sources.json');
  });

  it('a missing source is exit 66; a relative path is refused', async () => {
    await expect(store.hashSource(join(dir, 'nope.png'))).rejects.toMatchObject({
      code: 'E_SOURCE_MISSING',
      exitCode: 66,
    });
    await expect(store.hashSource(dir)).rejects.toMatchObject({ code: 'E_SOURCE_NOT_FILE', exitCode: 66 });
    await expect(store.hashSource('a.png')).rejects.toMatchObject({ code: 'E_STORE_RELATIVE_PATH' });
  });
});
