/**
 * `gcStore` on a real cache dir: what a lock file or the journal needs survives, age and size
 * limits remove the rest (least recently used first), a record never outlives its blob, temp
 * files go only when a day old (a crash's leftovers), and a cache hit marks its entry as used.
 * Source-hash memo files: gc-memo.test.ts; the set-up both share: gc-rig.ts.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcStore } from '../../../src/store/gc.js';
import {
  age,
  DAY,
  type Entry,
  exists,
  gc,
  lockOn,
  noDanglingRecords,
  now,
  put,
  rig,
  sha,
  snapshot,
  useGcRig,
} from './gc-rig.js';

useGcRig();

describe('gcStore', () => {
  it('by age: removes what is old and unneeded; keeps locked, journaled, recent and in-progress data', async () => {
    const locked = await put('locked', 100);
    const input = await rig.store.putBlob(Buffer.from('an upstream output the lock names as input'));
    const stale = await put('stale', 200);
    const recent = await put('recent', 300);
    // A blob shared by a locked record and an unlocked one: the unlocked record goes, the blob stays.
    const sharedBytes = Buffer.alloc(50, 's');
    const sharedLocked = await put('shared-locked', 0, sharedBytes);
    const sharedOld = await put('shared-old', 0, sharedBytes);
    const orphan = await rig.store.putBlob(Buffer.from('a blob no record uses'));
    // In flight: a journal entry whose record does not exist yet, and whose input is a cached blob.
    const journalInput = await rig.store.putBlob(Buffer.from('input of a request in flight'));
    const inFlightKey = sha('key:in-flight');
    await rig.store.journal.add({
      key: inFlightKey,
      node: 'in-flight',
      provider: 'emulator',
      model: 'm',
      seed: 1,
      input_sha256: journalInput,
      request_id: 'req-x',
      submitted_at: new Date(now - 40 * DAY).toISOString(),
    });
    // A journaled request that did get its record (crash before the journal entry was removed).
    const journaled = await put('journaled', 70);
    await rig.store.journal.add({
      key: journaled.key,
      node: 'journaled',
      provider: 'emulator',
      model: 'm',
      seed: 1,
      input_sha256: sha('in:journaled'),
      request_id: 'req-journaled',
      submitted_at: new Date(now - 40 * DAY).toISOString(),
    });
    await lockOn({
      locked: { key: locked.key, output: locked.blob, input },
      'shared-locked': { key: sharedLocked.key, output: sharedLocked.blob, input: sha('a source file') },
    });
    // Temp files: a download and atomic-write siblings of a blob, a record, a journal entry and a
    // memo. Day-old ones are a crash's leftovers and go; a younger one may be a write in progress.
    const download = join(rig.store.root, 'tmp', 'dl.abc-1.tmp');
    const sibling = join(rig.store.root, 'blobs', stale.blob.slice(0, 2), `.${stale.blob}.abc-2.tmp`);
    const recordSibling = join(rig.store.root, 'records', locked.key.slice(0, 2), `.${locked.key}.json.abc-3.tmp`);
    const journalSibling = join(rig.store.root, 'journal', `.${inFlightKey}.json.abc-4.tmp`);
    const memoSibling = join(rig.store.root, 'sources', '.0123.json.abc-5.tmp');
    const writing = join(rig.store.root, 'blobs', locked.blob.slice(0, 2), `.${locked.blob}.abc-6.tmp`);
    const notATemp = join(rig.store.root, 'blobs', locked.blob.slice(0, 2), 'notes.txt');
    await mkdir(join(rig.store.root, 'sources'), { recursive: true });
    for (const f of [download, sibling, recordSibling, journalSibling, memoSibling, writing, notATemp])
      await writeFile(f, 'partial');
    await age([recordSibling, journalSibling, memoSibling, notATemp], 2 * DAY);
    await age([writing], DAY / 2);
    const everything = [locked, stale, sharedLocked, sharedOld, journaled].flatMap((e) => [e.recordPath, e.blobPath]);
    await age(
      [
        ...everything,
        rig.store.blobPath(input),
        rig.store.blobPath(orphan),
        rig.store.blobPath(journalInput),
        download,
        sibling,
      ],
      40 * DAY,
    );
    await age([recent.recordPath, recent.blobPath], 2 * DAY);

    const report = await gc({ olderThanMs: 30 * DAY });

    for (const p of [locked.recordPath, locked.blobPath, rig.store.blobPath(input), recent.recordPath, recent.blobPath])
      expect(await exists(p), p).toBe(true);
    for (const p of [sharedLocked.recordPath, sharedLocked.blobPath, journaled.recordPath, journaled.blobPath])
      expect(await exists(p), p).toBe(true);
    expect(await exists(rig.store.blobPath(journalInput))).toBe(true);
    expect(await rig.store.journal.list()).toHaveLength(2);
    for (const p of [stale.recordPath, stale.blobPath, sharedOld.recordPath, rig.store.blobPath(orphan)])
      expect(await exists(p), p).toBe(false);
    for (const p of [download, sibling, recordSibling, journalSibling, memoSibling])
      expect(await exists(p), p).toBe(false);
    expect(await exists(writing)).toBe(true);
    expect(await exists(notATemp)).toBe(true);
    expect(report.staleTemps).toEqual({ files: 5, bytes: 5 * 'partial'.length });
    await noDanglingRecords();
    expect(report.removed).toEqual({ records: 2, blobs: 2, bytes: expect.any(Number) });
    expect(report.journalEntries).toBe(2);
    expect(report.overLimit).toBe(false);
    expect(report.after.bytes).toBe(report.before.bytes - report.removed.bytes);
  });

  it('--dry-run reports the same and changes nothing', async () => {
    const a = await put('a', 100);
    const b = await put('b', 100);
    const leftover = join(rig.store.root, 'blobs', b.blob.slice(0, 2), `.${b.blob}.abc-1.tmp`);
    await writeFile(leftover, 'partial');
    await age([a.recordPath, a.blobPath, b.recordPath, b.blobPath, leftover], 40 * DAY);
    await lockOn({ a: { key: a.key, output: a.blob, input: sha('src') } });
    const before = await snapshot();
    const dry = await gc({ olderThanMs: 30 * DAY, dryRun: true });
    expect(await snapshot()).toEqual(before);
    expect(await exists(join(rig.store.root, 'gc.lck'))).toBe(false);
    const real = await gc({ olderThanMs: 30 * DAY });
    expect({ ...dry, dryRun: false }).toEqual(real);
    expect(real.removed.records).toBe(1);
    expect(real.staleTemps).toEqual({ files: 1, bytes: 'partial'.length });
    expect(await exists(b.blobPath)).toBe(false);
    expect(await exists(leftover)).toBe(false);
  });

  it('by size: least recently used first, down to the limit; protected data may leave it over', async () => {
    const entries: Entry[] = [];
    for (let i = 0; i < 5; i++) entries.push(await put(`e${i}`, 1000));
    // e0 is the oldest ... e4 the newest; e1 is locked.
    for (const [i, e] of entries.entries()) await age([e.recordPath, e.blobPath], (10 - i) * DAY);
    const [e0, e1, e2, e3, e4] = entries as [Entry, Entry, Entry, Entry, Entry];
    await lockOn({ e1: { key: e1.key, output: e1.blob, input: sha('src') } });
    const recordBytes = (await stat(e0.recordPath)).size;
    // Room for three entries: e0 and e2 go (oldest unprotected), e1 (locked), e3 and e4 stay.
    const report = await gc({ maxBytes: 3 * (1000 + recordBytes) + 10 });
    expect(await exists(e0.blobPath)).toBe(false);
    expect(await exists(e2.blobPath)).toBe(false);
    for (const e of [e1, e3, e4]) expect(await exists(e.blobPath)).toBe(true);
    expect(report.removed.records).toBe(2);
    expect(report.overLimit).toBe(false);
    await noDanglingRecords();

    // Below what the lock needs: everything unprotected goes and it says it is still over. The
    // reads above marked e3 and e4 used: a gc in the next minutes keeps them (a hit may be in
    // progress), so this one runs later.
    expect((await gc({ maxBytes: 10 })).removed.records).toBe(0);
    const tight = await gc({ maxBytes: 10, now: () => Date.now() + 12 * 60_000 });
    expect(tight.overLimit).toBe(true);
    expect(await exists(e1.blobPath)).toBe(true);
    expect(await exists(e1.recordPath)).toBe(true);
    expect(await exists(e4.blobPath)).toBe(false);
    expect(tight.after.records).toBe(1);
  });

  it('both limits: age first, then size', async () => {
    const old = await put('old', 1000);
    const mid = await put('mid', 1000);
    const fresh = await put('fresh', 1000);
    await age([old.recordPath, old.blobPath], 40 * DAY);
    await age([mid.recordPath, mid.blobPath], 5 * DAY);
    await lockOn({});
    const report = await gc({ olderThanMs: 30 * DAY, maxBytes: 1500 });
    expect(await exists(old.blobPath)).toBe(false);
    expect(await exists(mid.blobPath)).toBe(false);
    expect(await exists(fresh.blobPath)).toBe(true);
    expect(report.removed.records).toBe(2);
  });

  it('--max-size beside a run that has stored a download but not yet its record: the paid blob stays', async () => {
    // What run/execute.ts does for a node: journal the request id, download into tmp/, adopt the
    // blob, write the record. gc runs between the blob and the record.
    const key = sha('key:downloading');
    const input = await rig.store.putBlob(Buffer.from('the input'));
    await rig.store.journal.add({
      key,
      node: 'downloading',
      provider: 'emulator',
      model: 'm',
      seed: 1,
      input_sha256: input,
      request_id: 'req-downloading',
      submitted_at: new Date(now).toISOString(),
    });
    const bytes = Buffer.alloc(1000, 'paid output');
    const tmp = rig.store.tempPath('downloading');
    await writeFile(tmp, bytes);
    const blob = sha(bytes);
    await rig.store.adoptBlob(tmp, blob, { synced: false });
    // A crash's leftover from long ago, which no record names either, still goes.
    const leftover = await rig.store.putBlob(Buffer.from('a blob a crashed run left, a month ago'));
    await age([rig.store.blobPath(leftover)], 30 * DAY);
    await lockOn({});

    const report = await gc({ maxBytes: 1 });

    expect(await exists(rig.store.blobPath(blob))).toBe(true);
    expect(await exists(rig.store.blobPath(leftover))).toBe(false);
    expect(report.overLimit).toBe(true);
    await rig.store.putRecord({
      key,
      node: 'downloading',
      provider: 'emulator',
      model: 'm',
      seed: 1,
      input_sha256: input,
      output_sha256: blob,
      media_type: 'image/png',
      ext: 'png',
      request_id: 'req-downloading',
      finished_at: new Date(now).toISOString(),
    });
    expect((await rig.store.getRecord(key))?.output_sha256).toBe(blob);
  });

  it('a cache hit marks the record as used (not the blob), so age counts from the last use', async () => {
    const e = await put('hit', 100);
    await age([e.recordPath, e.blobPath], 40 * DAY);
    const blobBefore = (await stat(e.blobPath)).mtimeMs;
    expect(await rig.store.getRecord(e.key)).not.toBeNull();
    expect((await stat(e.recordPath)).mtimeMs).toBeGreaterThan(now - DAY);
    // The blob's mtime is what the hash memo keys on: a hit must not make the next run re-hash it.
    expect((await stat(e.blobPath)).mtimeMs).toBe(blobBefore);
    await lockOn({});
    // The old blob stays: a used record still needs it.
    expect((await gc({ olderThanMs: 30 * DAY })).removed).toMatchObject({ records: 0, blobs: 0 });
    expect(await exists(e.blobPath)).toBe(true);
    // Storing bytes that are already there is a use of that blob too.
    await age([e.blobPath], 40 * DAY);
    await rig.store.putBlob(Buffer.alloc(100, 'hit'));
    expect((await stat(e.blobPath)).mtimeMs).toBeGreaterThan(now - DAY);
  });

  it.each([
    [
      'a field of a newer kontext',
      (text: string) => text.replace('"finished_at"', '"output_media_type": "x",\n"finished_at"'),
    ],
    ['cut short', (text: string) => text.slice(0, text.indexOf('"output"'))],
    ['git conflict markers gone wrong', (text: string) => text.replace('"nodes": {', '"nodes": {<<<<<<< HEAD\n')],
  ])(
    'a lock that does not parse (%s) stops nothing: the sha256s in its text are kept, a warning',
    async (_, damage) => {
      const [named, other, history] = [await put('named', 100), await put('other', 100), await put('history', 100)];
      await age(
        [named, other, history].flatMap((e) => [e.recordPath, e.blobPath]),
        40 * DAY,
      );
      await lockOn({ named: { key: named.key, output: named.blob, input: sha('in') } });
      await writeFile(rig.lockFile, damage(await readFile(rig.lockFile, 'utf8')));
      // Another branch's lock that does not parse: kept by its text too, no warning (history).
      const lockTexts = async () => [{ name: 'refs/heads/old:recipe.lock.json', text: `{"key": "${history.key}",` }];
      const report = await gc({ olderThanMs: 30 * DAY, lockTexts });
      expect(report.unparsedLocks).toEqual([
        { file: rig.lockFile, message: expect.stringContaining(`${rig.lockFile}:`), hint: expect.any(String) },
      ]);
      for (const e of [named, history]) for (const f of [e.recordPath, e.blobPath]) expect(await exists(f)).toBe(true);
      for (const f of [other.recordPath, other.blobPath]) expect(await exists(f)).toBe(false);
      await noDanglingRecords();
    },
  );

  it('a missing cache rig.dir is an empty one and is not created', async () => {
    const missing = join(rig.dir, 'nope');
    const report = await gcStore(missing, { lockFiles: [], now: () => now, maxBytes: 0 });
    expect(report.before).toEqual({ records: 0, blobs: 0, bytes: 0 });
    expect(report.staleMemos).toEqual({ files: 0, bytes: 0 });
    expect(await exists(missing)).toBe(false);
  });
});
