/**
 * The run's side of the review (src/run/drift.ts) against a real store: reviews stored in the
 * record, drift warnings, a review that cannot be made is a warning (never a throw), an existing
 * review is reused, and `kontext gc` keeps a record's change map with it.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlanNode } from '../../../src/plan/types.js';
import type { UntimedRunEvent } from '../../../src/run/events.js';
import { METRIC } from '../../../src/review/index.js';
import { DriftCheck, driftOf, NodeReviews } from '../../../src/run/drift.js';
import { gcStore } from '../../../src/store/gc.js';
import { openStore } from '../../../src/store/index.js';
import type { RunRecord, Store } from '../../../src/store/types.js';
import { deferred } from '../../../src/util/deferred.js';

let dir: string;
let store: Store;
let sourcePath: string;
let greyBlob: string;
let redBlob: string;

async function png(colour: readonly [number, number, number]): Promise<Buffer> {
  return sharp({
    create: { width: 120, height: 80, channels: 3, background: { r: colour[0], g: colour[1], b: colour[2] } },
  })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-drift-'));
  store = await openStore(join(dir, 'cache'));
  sourcePath = join(dir, 'source.png');
  await writeFile(sourcePath, await png([128, 128, 128]));
  greyBlob = await store.putBlob(await png([130, 128, 126]));
  redBlob = await store.putBlob(await png([200, 20, 20]));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function node(id: string, input: PlanNode['input'], maxChange?: number): PlanNode {
  return {
    id,
    pass: id,
    source: 'photo',
    instance: null,
    variant: null,
    input,
    prompt: 'p',
    seed: 1,
    aspectRatio: null,
    model: 'a/b',
    params: {},
    save: null,
    depth: 1,
    ...(maxChange === undefined ? {} : { maxChange }),
  };
}

const hex = (c: string): string => c.repeat(64);

function record(key: string, n: PlanNode, input: string, output: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    key,
    node: n.id,
    provider: 'emulator',
    model: 'a/b',
    seed: 1,
    input_sha256: input,
    output_sha256: output,
    media_type: 'image/png',
    ext: 'png',
    request_id: 'r',
    finished_at: new Date(0).toISOString(),
    ...extra,
  };
}

function checker(nodes: PlanNode[]): { check: DriftCheck; events: UntimedRunEvent[] } {
  const events: UntimedRunEvent[] = [];
  return { check: new DriftCheck(nodes, { store, emit: (e) => events.push(e) }), events };
}

const warnings = (events: UntimedRunEvent[]): Extract<UntimedRunEvent, { type: 'warning' }>[] =>
  events.filter((e): e is Extract<UntimedRunEvent, { type: 'warning' }> => e.type === 'warning');

describe('DriftCheck', () => {
  const root = node('grey', { kind: 'source', source: 'photo', instance: null, path: '' }, 50);
  it('reviews a chain, stores each review in its record, and warns for the node over max_change', async () => {
    const first = node('grey', { kind: 'source', source: 'photo', instance: null, path: sourcePath }, 50);
    const second = node('red', { kind: 'node', id: 'grey' }, 50);
    const third = node('same', { kind: 'node', id: 'red' });
    const recs = [
      record(hex('1'), first, hex('0'), greyBlob),
      record(hex('2'), second, greyBlob, redBlob),
      record(hex('3'), third, redBlob, redBlob),
    ];
    for (const r of recs) await store.putRecord(r);
    const { check, events } = checker([first, second, third]);
    check.check(first, recs[0] as RunRecord);
    check.check(second, recs[1] as RunRecord);
    check.check(third, recs[2] as RunRecord);
    expect(await check.settle()).toEqual(['red']);
    const drift = warnings(events);
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({
      node: 'red',
      drift: { changed_pct: 100, chain_changed_pct: 100, max_change: 50 },
    });
    expect(drift[0]?.message).toBe('changed 100% of the image, over max_change 50%; 100% since the source');
    const stored = await Promise.all(recs.map((r) => store.getRecord(r.key)));
    expect(stored.map((r) => [r?.review?.changed_pct, r?.review?.chain_changed_pct])).toEqual([
      [0, 0],
      [100, 100],
      [0, 100],
    ]);
  });

  it('reuses a stored review without decoding anything', async () => {
    // The output blob is not an image: a new review would fail, so no warning but drift proves reuse.
    const junk = await store.putBlob(Buffer.from('not an image'));
    const review = {
      metric: METRIC,
      threshold: 10,
      changed_pct: 61.5,
      chain_changed_pct: null,
      map_sha256: hex('a'),
      width: 1,
      height: 1,
    };
    const { check, events } = checker([root]);
    check.check(root, record(hex('4'), root, hex('0'), junk, { review }));
    expect(await check.settle()).toEqual(['grey']);
    expect(warnings(events).map((w) => w.message)).toEqual(['changed 61.5% of the image, over max_change 50%']);
    // The same figures from an earlier metric are not trusted: a new review is made (and fails here).
    const stale = checker([root]);
    stale.check.check(root, record(hex('4'), root, hex('0'), junk, { review: { ...review, metric: 'cie76-lab' } }));
    expect(await stale.check.settle()).toEqual([]);
    expect(warnings(stale.events).map((w) => w.message)).toEqual([
      expect.stringMatching(/^no change map: the output /),
    ]);
  });

  it('turns a review that cannot be made into a warning, never a failure', async () => {
    const junk = await store.putBlob(Buffer.from('\x89PNG\r\n\x1a\nbroken'));
    const n = node('broken', { kind: 'node', id: 'grey' }, 1);
    const { check, events } = checker([n]);
    check.check(n, record(hex('5'), n, greyBlob, junk));
    expect(await check.settle()).toEqual([]);
    expect(warnings(events)).toHaveLength(1);
    expect(warnings(events)[0]?.message).toMatch(
      /^no change map: the output \S+ cannot be decoded \(damaged, truncated or not an image: /,
    );
    expect(warnings(events)[0]?.drift).toBeUndefined();
  });

  it('says max_change is not checked for a URL input, and is silent without max_change', async () => {
    const url = { kind: 'source' as const, source: 'photo', instance: null, url: 'https://example.com/a.png' };
    const watched = node('remote', url, 10);
    const unwatched = node('remote2', url);
    const { check, events } = checker([watched, unwatched]);
    check.check(watched, record(hex('6'), watched, hex('0'), redBlob));
    check.check(unwatched, record(hex('7'), unwatched, hex('0'), redBlob));
    expect(await check.settle()).toEqual([]);
    expect(warnings(events).map((w) => `${w.node}: ${w.message}`)).toEqual([
      'remote: max_change not checked: the input is a remote URL, with no local copy to compare against',
    ]);
    expect((await store.getRecord(hex('6')))?.review).toBeUndefined();
  });

  it('a cache hit without a review is reviewed only for a max_change; NodeReviews reviews it on demand', async () => {
    const first = node('grey', { kind: 'source', source: 'photo', instance: null, path: sourcePath });
    const watched = node('red', { kind: 'node', id: 'grey' }, 99);
    const plain = node('red2', { kind: 'node', id: 'grey' });
    const recs = [record(hex('8'), watched, greyBlob, redBlob), record(hex('9'), plain, greyBlob, redBlob)];
    for (const r of recs) await store.putRecord(r);
    const { check, events } = checker([first, watched, plain]);
    check.check(watched, recs[0] as RunRecord, true);
    check.check(plain, recs[1] as RunRecord, true);
    expect(await check.settle()).toEqual(['red']);
    expect(warnings(events).map((w) => w.node)).toEqual(['red']);
    expect((await store.getRecord(hex('8')))?.review?.changed_pct).toBe(100);
    expect((await store.getRecord(hex('9')))?.review).toBeUndefined();
    const reviews = new NodeReviews([first, watched, plain], store);
    const review = await reviews.reviewOf(plain, recs[1] as RunRecord);
    expect(review).toMatchObject({ changed_pct: 100, chain_changed_pct: 100 });
    expect((await store.getRecord(hex('9')))?.review).toEqual(review);
  });

  it('stores a review with its record only once the lock holds the node', async () => {
    const first = node('grey', { kind: 'source', source: 'photo', instance: null, path: sourcePath });
    const second = node('red', { kind: 'node', id: 'grey' });
    const waiting = record(hex('c'), second, greyBlob, redBlob);
    const alike = record(hex('d'), second, greyBlob, redBlob);
    for (const r of [waiting, alike]) await store.putRecord(r);
    const lock = deferred<boolean>();
    const { check, events } = checker([first, second]);
    check.check(second, waiting, false, { lockHolds: lock.promise });
    // The same review, made by another reviewer with nothing to wait for, is done and stored...
    await new NodeReviews([first, second], store).reviewOf(second, alike);
    expect((await store.getRecord(hex('d')))?.review?.changed_pct).toBe(100);
    await new Promise((r) => setTimeout(r, 50));
    // ...while this one's record is left as it is until the lock entry is on disk.
    expect((await store.getRecord(hex('c')))?.review).toBeUndefined();
    lock.resolve(true);
    expect(await check.settle()).toEqual([]);
    expect(warnings(events)).toEqual([]);
    expect((await store.getRecord(hex('c')))?.review?.changed_pct).toBe(100);
  });

  it('driftOf: only strictly over a declared max_change', () => {
    const r = {
      metric: 'm',
      threshold: 10,
      changed_pct: 25,
      chain_changed_pct: 30,
      map_sha256: hex('b'),
      width: 1,
      height: 1,
    };
    expect(driftOf({ maxChange: 25 }, r)).toBeNull();
    expect(driftOf({ maxChange: 24.9 }, r)).toEqual({ changed_pct: 25, chain_changed_pct: 30, max_change: 24.9 });
    expect(driftOf({}, r)).toBeNull();
    expect(driftOf({ maxChange: 0 }, undefined)).toBeNull();
    // The ends: 0% allows nothing but an unchanged image, 100% never warns.
    expect(driftOf({ maxChange: 0 }, { ...r, changed_pct: 0 })).toBeNull();
    expect(driftOf({ maxChange: 0 }, { ...r, changed_pct: 0.01 })?.changed_pct).toBe(0.01);
    expect(driftOf({ maxChange: 100 }, { ...r, changed_pct: 100 })).toBeNull();
  });
});

describe('gc and change maps', () => {
  it('keeps a kept record’s map, and removes an old record with its output and its map', async () => {
    const root2 = join(dir, 'gc-cache');
    const s = await openStore(root2);
    const output = await s.putBlob(await png([10, 200, 10]));
    const map = await s.putBlob(Buffer.from('a map'));
    const otherOutput = await s.putBlob(await png([10, 10, 200]));
    const otherMap = await s.putBlob(Buffer.from('another map'));
    const review = (m: string) => ({
      metric: 'cie76-lab',
      threshold: 10,
      changed_pct: 1,
      chain_changed_pct: null,
      map_sha256: m,
      width: 1,
      height: 1,
    });
    const n = node('n', { kind: 'node', id: 'x' });
    await s.putRecord(record(hex('c'), n, hex('0'), output, { review: review(map) }));
    await s.putRecord(record(hex('d'), n, hex('0'), otherOutput, { review: review(otherMap) }));
    // Everything was last used long ago; only the lock's key is protected.
    const old = new Date(Date.now() - 90 * 86_400_000);
    for (const sha of [output, map, otherOutput, otherMap]) await utimes(s.blobPath(sha), old, old);
    const lockFile = join(dir, 'r.lock.json');
    const entry = {
      seed: 1,
      key: hex('c'),
      input_sha256: hex('0'),
      output_sha256: output,
      output: 'out/n.png',
      provider: 'emulator',
      model: 'a/b',
      request_id: 'r',
      finished_at: new Date(0).toISOString(),
    };
    await writeFile(lockFile, JSON.stringify({ version: 1, nodes: { n: entry } }));
    const later = Date.now() + 90 * 86_400_000;
    const report = await gcStore(root2, { lockFiles: [lockFile], now: () => later, olderThanMs: 86_400_000 });
    expect(report.removed).toMatchObject({ records: 1, blobs: 2 });
    expect(await s.hasBlob(output)).toBe(true);
    expect(await s.hasBlob(map)).toBe(true);
    expect(await s.hasBlob(otherOutput)).toBe(false);
    expect(await s.hasBlob(otherMap)).toBe(false);
  });
});
