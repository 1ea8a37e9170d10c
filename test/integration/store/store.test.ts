import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheKey, openStore, type JournalEntry, type RunRecord, type Store } from '../../../src/store/index.js';
import { readRecordReadOnly } from '../../../src/store/records.js';

const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-store-'));
  store = await openStore(join(dir, '.kontext'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(key: string, output: string): RunRecord {
  return {
    key,
    node: 'jacket',
    provider: 'emulator',
    model: 'm',
    seed: 7,
    input_sha256: sha('in'),
    output_sha256: output,
    media_type: 'image/png',
    ext: 'png',
    request_id: 'req-7',
    finished_at: '2025-01-01T00:00:00.000Z',
  };
}

describe('openStore', () => {
  it('creates the layout, marks the folder as a cache and keeps it out of git', async () => {
    expect((await readdir(store.root)).sort()).toEqual([
      '.gitignore',
      'CACHEDIR.TAG',
      'blobs',
      'journal',
      'records',
      'tmp',
    ]);
    expect(await readFile(join(store.root, '.gitignore'), 'utf8')).toBe('*\n');
    expect(await readFile(join(store.root, 'CACHEDIR.TAG'), 'utf8')).toMatch(
      /^Signature: 8a477f597d28d172789f06886806bc55/,
    );
  });

  it('refuses a relative root', async () => {
    await expect(openStore('relative/.kontext')).rejects.toMatchObject({ code: 'E_STORE_RELATIVE_PATH' });
  });

  it('reports an unusable cache dir with a hint', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(openStore(join(dir, 'file', '.kontext'))).rejects.toMatchObject({
      code: 'E_CACHE_DIR',
      hint: expect.stringMatching(/--cache-dir/),
    });
  });

  it('removes temp files a crashed run left over a day ago, and keeps fresh ones', async () => {
    const old = store.tempPath('old');
    const fresh = store.tempPath('fresh');
    await writeFile(old, 'x');
    await writeFile(fresh, 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await openStore(store.root);
    expect(await readdir(join(store.root, 'tmp'))).toEqual([basename(fresh)]);
  });
});

describe('blobs', () => {
  it('putBlob stores bytes under their sha256 with a two-char fan-out', async () => {
    const bytes = new TextEncoder().encode('image bytes');
    const digest = await store.putBlob(bytes);
    expect(digest).toBe(sha(bytes));
    expect(store.blobPath(digest)).toBe(join(store.root, 'blobs', digest.slice(0, 2), digest));
    expect(await readFile(store.blobPath(digest), 'utf8')).toBe('image bytes');
    expect(await store.hasBlob(digest)).toBe(true);
    expect(await store.hasBlob(sha('other'))).toBe(false);
    expect(await store.putBlob(bytes)).toBe(digest); // idempotent
  });

  it('adoptBlob moves a temp file into place', async () => {
    const temp = store.tempPath('download/../../evil name');
    expect(temp.startsWith(join(store.root, 'tmp'))).toBe(true);
    await writeFile(temp, 'downloaded');
    const path = await store.adoptBlob(temp, sha('downloaded'));
    expect(path).toBe(store.blobPath(sha('downloaded')));
    expect(await readFile(path, 'utf8')).toBe('downloaded');
    await expect(stat(temp)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('adoptBlob drops the temp file when the blob already exists', async () => {
    const digest = await store.putBlob(new TextEncoder().encode('same'));
    const temp = store.tempPath();
    await writeFile(temp, 'same');
    await store.adoptBlob(temp, digest);
    await expect(stat(temp)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(store.blobPath(digest), 'utf8')).toBe('same');
  });

  it('adoptBlob refuses files outside <root>/tmp and leaves them alone', async () => {
    const outside = join(dir, 'user-photo.png');
    await writeFile(outside, 'precious');
    await expect(store.adoptBlob(outside, sha('precious'))).rejects.toMatchObject({ code: 'E_STORE_FOREIGN_TEMP' });
    await expect(store.adoptBlob(join(store.root, 'tmp', '..', 'x'), sha('x'))).rejects.toMatchObject({
      code: 'E_STORE_FOREIGN_TEMP',
    });
    expect(await readFile(outside, 'utf8')).toBe('precious');
  });

  it('copyInBlob copies a file in (a copy, not a link: editing the file later leaves the blob alone)', async () => {
    const output = join(dir, 'out.png');
    await writeFile(output, 'adopted bytes');
    const digest = sha('adopted bytes');
    store.copyInBlob(output, digest); // its folder blobs/<xx>/ does not exist yet
    expect(await readFile(store.blobPath(digest), 'utf8')).toBe('adopted bytes');
    expect((await stat(store.blobPath(digest))).ino).not.toBe((await stat(output)).ino);
    await writeFile(output, 'edited by hand');
    expect(await readFile(store.blobPath(digest), 'utf8')).toBe('adopted bytes');
    // Only the blob is in its folder: the temp beside it was renamed, not left behind.
    expect(await readdir(join(store.root, 'blobs', digest.slice(0, 2)))).toEqual([digest]);
  });

  it('copyInBlob keeps an existing blob (and marks it used) instead of copying again', async () => {
    const digest = await store.putBlob(new TextEncoder().encode('kept'));
    await utimes(store.blobPath(digest), 1_000, 1_000);
    const output = join(dir, 'out.png');
    await writeFile(output, 'kept');
    store.copyInBlob(output, digest);
    const after = await stat(store.blobPath(digest));
    expect(after.mtimeMs).toBeGreaterThan(1_000_000);
    expect(after.ino).not.toBe((await stat(output)).ino);
    expect(await readdir(join(store.root, 'blobs', digest.slice(0, 2)))).toEqual([digest]);
  });

  it('copyInBlob throws for a missing file and leaves no blob or temp', async () => {
    const digest = sha('never');
    expect(() => store.copyInBlob(join(dir, 'missing.png'), digest)).toThrow(/ENOENT/);
    expect(await store.hasBlob(digest)).toBe(false);
    expect(await readdir(join(store.root, 'blobs', digest.slice(0, 2)))).toEqual([]);
  });

  it('rejects digests that are not sha256 hex (they become file names)', async () => {
    expect(() => store.blobPath('../../etc/passwd')).toThrow(/not a sha256/);
    await expect(store.hasBlob('ABC')).rejects.toMatchObject({ code: 'E_STORE_BAD_KEY' });
  });
});

describe('records', () => {
  it('round-trips a record whose blob exists', async () => {
    const out = await store.putBlob(new TextEncoder().encode('out'));
    const rec = { ...record(sha('k1'), out), output_url: 'https://example.test/o.png' };
    await store.putRecord(rec);
    expect(await store.getRecord(rec.key)).toEqual(rec);
    const file = join(store.root, 'records', rec.key.slice(0, 2), `${rec.key}.json`);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(rec);
  });

  it('reads a missing, corrupt, mis-shaped or misplaced record as a miss', async () => {
    const out = await store.putBlob(new TextEncoder().encode('out'));
    const key = sha('k2');
    expect(await store.getRecord(key)).toBeNull();
    const file = join(store.root, 'records', key.slice(0, 2), `${key}.json`);
    await mkdir(join(store.root, 'records', key.slice(0, 2)), { recursive: true });
    for (const bad of [
      '{"key":',
      '',
      'null',
      JSON.stringify({ ...record(key, out), seed: 'x' }),
      JSON.stringify(record(sha('other'), out)),
    ]) {
      await writeFile(file, bad);
      expect(await store.getRecord(key)).toBeNull();
    }
  });

  it('a record whose request does not hash to its key is a miss, said once per read (walk-ai 2)', async () => {
    const warnings: string[] = [];
    const warned = await openStore(join(dir, 'warned'), { onWarning: (w) => warnings.push(w) });
    const out = await warned.putBlob(new TextEncoder().encode('out'));
    const asked = { provider: 'emulator', model: 'm', prompt: 'Make it red.', input_sha256: sha('in'), params: {} };
    const rec = { ...record(cacheKey({ ...asked, seed: 7 }), out), ...asked };
    await warned.putRecord(rec);
    expect(await warned.getRecord(rec.key)).toEqual(rec);
    expect(await readRecordReadOnly(warned.root, rec.key, (p) => warned.hashSource(p))).toEqual(rec);
    // A restored CI cache with one record edited (its seed): filed under the key of seed 7, it asks seed 8.
    const file = join(warned.root, 'records', rec.key.slice(0, 2), `${rec.key}.json`);
    await writeFile(file, JSON.stringify({ ...rec, seed: 8 }));
    expect(await warned.getRecord(rec.key)).toBeNull();
    expect(await readRecordReadOnly(warned.root, rec.key, (p) => warned.hashSource(p))).toBeNull();
    expect(warnings).toEqual([
      `cache record ${file}: its request fields do not hash to its key (damaged or edited); not used ` +
        '(the node runs again unless its lock entry and output file prove it current)',
    ]);
    // A record written before prompts and params were kept cannot be checked: still a hit.
    const old = record(sha('k-old'), out);
    await warned.putRecord(old);
    expect(await warned.getRecord(old.key)).toEqual(old);
  });

  it('treats a record whose blob is gone as a miss', async () => {
    const out = await store.putBlob(new TextEncoder().encode('out'));
    const rec = record(sha('k3'), out);
    await store.putRecord(rec);
    await rm(store.blobPath(out));
    expect(await store.getRecord(rec.key)).toBeNull();
  });

  it('refuses to write an invalid record', async () => {
    await expect(store.putRecord({ ...record(sha('k4'), sha('o')), ext: '../x' })).rejects.toMatchObject({
      code: 'E_STORE_BAD_RECORD',
    });
  });
});

describe('journal', () => {
  const entry = (key: string, at: string): JournalEntry => ({
    key,
    node: 'background',
    provider: 'runcomfy',
    model: 'm',
    seed: 1,
    input_sha256: sha('in'),
    request_id: `req-${key.slice(0, 4)}`,
    submitted_at: at,
  });

  it('add is on disk, complete and alone (no temp leftovers) when it resolves', async () => {
    const e = entry(sha('j1'), '2025-01-01T00:00:01.000Z');
    await store.journal.add(e);
    expect(await readdir(join(store.root, 'journal'))).toEqual([`${e.key}.json`]);
    expect(JSON.parse(await readFile(join(store.root, 'journal', `${e.key}.json`), 'utf8'))).toEqual(e);
    expect(await store.journal.get(e.key)).toEqual(e);
  });

  it('lists entries by submission time, skips corrupt ones, and removes', async () => {
    const a = entry(sha('a'), '2025-01-01T00:00:02.000Z');
    const b = entry(sha('b'), '2025-01-01T00:00:01.000Z');
    await store.journal.add(a);
    await store.journal.add(b);
    await writeFile(join(store.root, 'journal', `${sha('c')}.json`), '{"key":');
    await writeFile(join(store.root, 'journal', 'notes.txt'), 'ignored');
    expect(await store.journal.list()).toEqual([b, a]);
    await store.journal.remove(a.key);
    await store.journal.remove(a.key); // removing twice is fine
    expect(await store.journal.get(a.key)).toBeNull();
    expect(await store.journal.list()).toEqual([b]);
  });

  it("removing with a request id leaves a newer request's entry for the same key alone", async () => {
    const old = { ...entry(sha('w'), '2025-01-01T00:00:00.000Z'), request_id: 'req-old' };
    const newer = { ...old, request_id: 'req-new', submitted_at: '2025-01-01T00:00:05.000Z' };
    await store.journal.add(old);
    await store.journal.add(newer); // a later cycle submitted again for the same key
    await store.journal.remove(old.key, 'req-old'); // the old request's clean-up comes late
    expect(await store.journal.get(old.key)).toEqual(newer);
    await store.journal.remove(old.key, 'req-new');
    expect(await store.journal.get(old.key)).toBeNull();
  });

  it('restore writes again the entries this store wrote and did not remove, once the cache dir is gone', async () => {
    const kept = entry(sha('r1'), '2025-01-01T00:00:01.000Z');
    const done = entry(sha('r2'), '2025-01-01T00:00:02.000Z');
    const gone = entry(sha('r3'), '2025-01-01T00:00:03.000Z');
    for (const e of [kept, done, gone]) await store.journal.add(e);
    await store.journal.remove(done.key, done.request_id);
    expect(await store.journal.restore()).toBe(0); // nothing missing
    await rm(store.root, { recursive: true, force: true });
    // Finished while its file was gone: forgotten, not brought back.
    await store.journal.remove(gone.key, gone.request_id);
    expect(await store.journal.restore()).toBe(1);
    expect(await store.journal.list()).toEqual([kept]);
    expect(await readdir(join(store.root, 'journal'))).toEqual([`${kept.key}.json`]);
    // Another store (another process) has nothing of its own to restore.
    await rm(store.root, { recursive: true, force: true });
    const other = await openStore(join(dir, 'other'));
    expect(await other.journal.restore()).toBe(0);
  });

  it('survives a fresh openStore (another process, a later run)', async () => {
    const e = entry(sha('j2'), '2025-01-01T00:00:00.000Z');
    await store.journal.add(e);
    const again = await openStore(store.root);
    expect(await again.journal.list()).toEqual([e]);
  });
});
