import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
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
    const memo = JSON.parse(await readFile(join(store.root, 'sources.json'), 'utf8')) as {
      version: number;
      entries: Record<string, unknown>;
    };
    expect(memo.version).toBe(1);
    expect(memo.entries[file]).toMatchObject({ size: 4, sha256: sha('AAAA') });
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
    const memo = JSON.parse(await readFile(join(store.root, 'sources.json'), 'utf8')) as {
      entries: Record<string, unknown>;
    };
    expect(Object.keys(memo.entries).sort()).toEqual([a, b].sort());
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
    await writeFile(join(store.root, 'sources.json'), '{"version":1,"entries":{"/x":{"size":"no"}');
    const file = join(dir, 'a.png');
    await writeOld(file, 'AAAA');
    const fresh = await openStore(store.root);
    expect((await fresh.hashSource(file)).sha256).toBe(sha('AAAA'));
    await fresh.flush();
    expect(JSON.parse(await readFile(join(store.root, 'sources.json'), 'utf8'))).toMatchObject({ version: 1 });
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
