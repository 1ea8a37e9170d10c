/**
 * `Store.copyInBlobs` (src/store/blob-thread.ts): many files copied into the store at once, on a
 * worker thread from BLOB_THREAD_AT files on. Each file lands as `copyInBlob` lands it (a copy
 * under its sha256, an existing blob kept and marked used, a missing file left out, no temp
 * left), every index is reported once, and a thread that dies leaves nothing undone.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BLOB_THREAD_AT,
  type BlobCopy,
  dieAfterChunksForTests,
  threadChunksForTests,
} from '../../../src/store/blob-thread.js';
import { openStore, type Store } from '../../../src/store/index.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-blob-thread-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(async () => {
  dieAfterChunksForTests(null);
  await rm(dir, { recursive: true, force: true });
});

/** `n` files in `<dir>/out/`, each with bytes of its own. */
async function files(n: number): Promise<BlobCopy[]> {
  await mkdir(join(dir, 'out'));
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const path = join(dir, 'out', `${i}.png`);
      await writeFile(path, `bytes of ${i}`);
      return { path, sha256: sha(`bytes of ${i}`) };
    }),
  );
}

async function landed(items: readonly BlobCopy[]): Promise<number[]> {
  const all: number[] = [];
  for await (const chunk of store.copyInBlobs(items)) all.push(...chunk);
  return all;
}

/** Every file under the store's blobs/ folder (temps included). */
async function blobFiles(): Promise<string[]> {
  const names = await readdir(join(store.root, 'blobs'), { recursive: true });
  return names.filter((n) => n.includes('/'));
}

describe.each([
  ['on the worker thread', BLOB_THREAD_AT + 88, 5],
  ['here, below the thread threshold', 5, 0],
])('copyInBlobs %s', (_, n, threadChunks) => {
  it('copies every file in under its sha256, reports each once, and leaves no temp', async () => {
    const items = await files(n);
    const chunksBefore = threadChunksForTests();
    const done = await landed(items);
    expect(threadChunksForTests() - chunksBefore).toBe(threadChunks);
    expect(done.sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    expect(await blobFiles()).toHaveLength(n);
    for (const i of [0, Math.floor(n / 2), n - 1]) {
      const blob = store.blobPath(items[i]!.sha256);
      expect(await readFile(blob, 'utf8')).toBe(`bytes of ${i}`);
      expect((await stat(blob)).ino).not.toBe((await stat(items[i]!.path)).ino); // a copy, not a link
    }
  });

  it('keeps a blob already there (marked used when stale), leaves out a missing file', async () => {
    const items = await files(n);
    const kept = await store.putBlob(new TextEncoder().encode('bytes of 1'));
    await utimes(store.blobPath(kept), 1_000, 1_000);
    const keptIno = (await stat(store.blobPath(kept))).ino;
    await rm(items[2]!.path);
    const done = new Set(await landed(items));
    expect(done.has(2)).toBe(false);
    expect(done.size).toBe(n - 1);
    expect(await store.hasBlob(items[2]!.sha256)).toBe(false);
    const after = await stat(store.blobPath(kept));
    expect(after.ino).toBe(keptIno);
    expect(after.mtimeMs).toBeGreaterThan(1_000_000);
    expect(await blobFiles()).toHaveLength(n - 1);
  });

  it('makes the folders again when the cache dir was deleted under it', async () => {
    const items = await files(n);
    await rm(store.root, { recursive: true });
    expect(await landed(items)).toHaveLength(n);
    expect(await readFile(store.blobPath(items[n - 1]!.sha256), 'utf8')).toBe(`bytes of ${n - 1}`);
  });
});

describe('copyInBlobs with a thread that dies', () => {
  it.each([0, 2])('after %i chunks: the rest is copied here, each file reported once', async (chunks) => {
    const items = await files(BLOB_THREAD_AT + 300);
    dieAfterChunksForTests(chunks);
    const chunksBefore = threadChunksForTests();
    const done = await landed(items);
    // At most `chunks` answered by the thread: an answer it posted just before dying may come after
    // its error, and that chunk is then copied here too (a blob copied again is harmless).
    expect(threadChunksForTests() - chunksBefore).toBeLessThanOrEqual(chunks);
    expect(done.sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    expect(await blobFiles()).toHaveLength(items.length);
  });
});
