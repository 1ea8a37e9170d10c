/**
 * The markers of outputs kontext wrote (store/written.ts): a (path, sha256) pair is remembered
 * once noted, whatever spelling of the path; another path or other bytes are not; a cache it
 * cannot write into loses the hint without failing; `kontext gc --older-than` prunes markers by
 * age (renewed by a new note), `--dry-run` only counts them, and without `--older-than` none go.
 * A note is written off the event loop: it counts as there at once, and the store's `flush`
 * waits for it. Bytes an older kontext (no markers) wrote are known by their node's run record.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gcStore } from '../../../src/store/gc.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { writtenDirOf } from '../../../src/store/written.js';

const DAY = 86_400_000;
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-written-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function markers(): Promise<string[]> {
  const root = writtenDirOf(store.root);
  const shards = await readdir(root).catch(() => []);
  const all = await Promise.all(shards.map(async (s) => (await readdir(join(root, s))).map((n) => join(root, s, n))));
  return all.flat().sort();
}

describe('written outputs', () => {
  it('remembers the bytes written at a path, by its absolute form, and nothing else', () => {
    const out = join(dir, 'out', 'clean', 'a.png');
    expect(store.written.has(out, sha('a'))).toBe(false);
    store.written.note(out, sha('a'));
    expect(store.written.has(out, sha('a'))).toBe(true);
    expect(store.written.has(relative(process.cwd(), out), sha('a'))).toBe(true);
    expect(store.written.has(join(dir, 'out', 'clean', '..', 'clean', 'a.png'), sha('a'))).toBe(true);
    expect(store.written.has(out, sha('b'))).toBe(false);
    expect(store.written.has(join(dir, 'out', 'clean', 'b.png'), sha('a'))).toBe(false);
  });

  it('a note is on disk once the store is flushed, and counts as written meanwhile', async () => {
    const out = join(dir, 'out', 'a.png');
    store.written.note(out, sha('a'));
    store.written.note(out, sha('a')); // the same note again while it is written: one marker
    expect(await markers()).toEqual([]); // not written within the call (no synchronous I/O)
    expect(store.written.has(out, sha('a'))).toBe(true);
    await store.flush();
    expect(await markers()).toHaveLength(1);
    // A second store on the same cache (the next run) finds it on disk.
    expect((await openStore(store.root)).written.has(out, sha('a'))).toBe(true);
  });

  it('a cache it cannot write markers into loses the hint, not the write', async () => {
    await writeFile(writtenDirOf(store.root), 'not a folder');
    expect(() => store.written.note(join(dir, 'x.png'), sha('x'))).not.toThrow();
    await store.flush();
    expect(store.written.has(join(dir, 'x.png'), sha('x'))).toBe(false);
  });

  it("an older kontext's output, written without a marker, is known by its node's run record", async () => {
    const bytes = Buffer.from('a result');
    const output = await store.putBlob(bytes);
    const record = {
      ...{ key: sha('request'), node: 'sky@cat', provider: 'emulator', model: 'm', seed: 1 },
      ...{ input_sha256: sha('in'), output_sha256: output, media_type: 'image/png', ext: 'png' },
      ...{ request_id: 'r1', finished_at: new Date().toISOString() },
    };
    await store.putRecord(record);
    await mkdir(join(store.root, 'records', 'ff'), { recursive: true });
    await writeFile(join(store.root, 'records', 'ff', `${sha('x')}.json`), '{'); // damaged: says nothing
    const fresh = await openStore(store.root);
    expect(await fresh.written.recorded('sky@cat', output)).toBe(true);
    expect(await fresh.written.recorded('hat@cat', output)).toBe(false); // another node's result
    expect(await fresh.written.recorded('sky@cat', sha('hand edit'))).toBe(false); // bytes never in the cache
    // A record whose blob is gone (gc) says nothing.
    await rm(fresh.blobPath(output));
    expect(await (await openStore(store.root)).written.recorded('sky@cat', output)).toBe(false);
  });

  it('gc --older-than prunes markers by age (a new note renews one); --dry-run counts; no age, none go', async () => {
    const now = Date.now();
    const gc = (options: { olderThanMs?: number; dryRun?: boolean }) =>
      gcStore(store.root, { lockFiles: [], now: () => now, maxBytes: 1e12, ...options });
    for (const name of ['old', 'renewed', 'young']) store.written.note(join(dir, `${name}.png`), sha(name));
    await store.written.settled();
    const markerOf = (name: string): string => {
      const id = sha(`${join(dir, `${name}.png`)}\0${sha(name)}`);
      return join(writtenDirOf(store.root), id.slice(0, 2), id);
    };
    const [oldMarker, renewedMarker] = [markerOf('old'), markerOf('renewed')];
    expect(await markers()).toEqual([oldMarker, renewedMarker, markerOf('young')].sort());
    const aged = (now - 40 * DAY) / 1000;
    for (const m of [oldMarker, renewedMarker]) await utimes(m, aged, aged);
    store.written.note(join(dir, 'renewed.png'), sha('renewed'));
    await store.written.settled();

    expect((await gc({})).oldMarkers).toBe(0);
    expect((await gc({ olderThanMs: 30 * DAY, dryRun: true })).oldMarkers).toBe(1);
    expect(await markers()).toHaveLength(3);
    const report = await gc({ olderThanMs: 30 * DAY });
    expect(report.oldMarkers).toBe(1);
    expect(await markers()).not.toContain(oldMarker);
    expect(store.written.has(join(dir, 'old.png'), sha('old'))).toBe(false);
    expect(store.written.has(join(dir, 'renewed.png'), sha('renewed'))).toBe(true);
    expect(store.written.has(join(dir, 'young.png'), sha('young'))).toBe(true);
  });
});
