/**
 * The run record check without zod (store/record-parse.ts) answers as RunRecordSchema does:
 * the same fields in the same order for good records (unknown fields dropped), the same
 * verdict for damaged ones (a bad review dropped, a bad field a miss). A bad price is dropped,
 * never the record: a paid result must not become a miss for its price.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { parseRunRecord } from '../../../src/store/record-parse.js';
import { RunRecordSchema } from '../../../src/store/schemas.js';
import type { RunRecord } from '../../../src/store/types.js';

const SHA = (c: string): string => c.repeat(64);
const REVIEW = {
  metric: 'cie76-lab',
  threshold: 10,
  changed_pct: 12.5,
  chain_changed_pct: null,
  map_sha256: SHA('d'),
  width: 512,
  height: 384,
};
const GOOD = {
  key: SHA('a'),
  node: 'sky#2',
  provider: 'emulator',
  model: 'flux-kontext-pro',
  seed: 11,
  input_sha256: SHA('b'),
  output_sha256: SHA('c'),
  media_type: 'image/png',
  ext: 'png',
  request_id: 'req-1',
  output_url: 'https://example.test/o.png',
  finished_at: '2026-01-01T00:00:00.000Z',
  prompt: 'Keep the face unchanged. Make the sky orange.',
  params: { aspect_ratio: '1:1', guidance: 2.5, nested: { a: [1, 2] } },
  review: REVIEW,
};

function without(key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...GOOD };
  delete copy[key];
  return copy;
}

/** Through JSON, as records are read from disk. */
const fromDisk = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const CASES: readonly [string, unknown][] = [
  ['every field', GOOD],
  ['only the required fields', { ...without('output_url'), prompt: undefined, params: undefined, review: undefined }],
  ['unknown fields (dropped)', { ...GOOD, extra: { x: 1 } }],
  ['a price', { ...GOOD, cost_usd: 0.04 }],
  ['a free request', { ...GOOD, cost_usd: 0 }],
  ['a negative price (dropped)', { ...GOOD, cost_usd: -0.04 }],
  ['a price as text (dropped)', { ...GOOD, cost_usd: '0.04' }],
  ['a null price (dropped)', { ...GOOD, cost_usd: null }],
  ['fields in another order', Object.fromEntries(Object.entries(GOOD).reverse())],
  ['a review with a chain figure', { ...GOOD, review: { ...REVIEW, chain_changed_pct: 40 } }],
  ['a review with an unknown field', { ...GOOD, review: { ...REVIEW, extra: true } }],
  ['a damaged review (dropped)', { ...GOOD, review: { ...REVIEW, changed_pct: 101 } }],
  ['a review of a stretched input', { ...GOOD, review: { ...REVIEW, fit: 'fill' } }],
  ['a review of an input fitted inside', { ...GOOD, review: { ...REVIEW, fit: 'contain' } }],
  ['a review with an unknown fit (dropped)', { ...GOOD, review: { ...REVIEW, fit: 'cover' } }],
  ['a review that is not an object', { ...GOOD, review: 'yes' }],
  ['a null review', { ...GOOD, review: null }],
  ['seed 0', { ...GOOD, seed: 0 }],
  ['a negative seed', { ...GOOD, seed: -1 }],
  ['a fractional seed', { ...GOOD, seed: 1.5 }],
  ['a seed past 2^53', { ...GOOD, seed: 2 ** 60 }],
  ['a seed as text', { ...GOOD, seed: '11' }],
  ['an upper-case key', { ...GOOD, key: SHA('A') }],
  ['a short output hash', { ...GOOD, output_sha256: 'abc' }],
  ['a bad extension', { ...GOOD, ext: 'p.ng' }],
  ['a missing node', without('node')],
  ['a missing finish time', without('finished_at')],
  ['a null output url', { ...GOOD, output_url: null }],
  ['a numeric prompt', { ...GOOD, prompt: 7 }],
  ['params as a list', { ...GOOD, params: [1, 2] }],
  ['params as null', { ...GOOD, params: null }],
  ['empty params', { ...GOOD, params: {} }],
  ['a list', [GOOD]],
  ['null', null],
  ['text', 'record'],
];

describe('parseRunRecord', () => {
  it.each(CASES)('%s: as RunRecordSchema', (_name, value) => {
    const data = fromDisk(value);
    const zod = RunRecordSchema.safeParse(data);
    const ours = parseRunRecord(data);
    expect(ours).toEqual(zod.success ? zod.data : null);
    // The same fields in the same order (what a record written back or printed shows).
    expect(JSON.stringify(ours)).toBe(JSON.stringify(zod.success ? zod.data : null));
  });

  it('a __proto__ key in params is left to zod', () => {
    const data = JSON.parse(`{"__proto__": {"polluted": true}, "a": 1}`) as unknown;
    const record = fromDisk(GOOD) as Record<string, unknown>;
    record['params'] = data;
    const zod = RunRecordSchema.safeParse(record);
    expect(JSON.stringify(parseRunRecord(record))).toBe(JSON.stringify(zod.success ? zod.data : null));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('copies params (a caller changing them cannot change what was read)', () => {
    const data = fromDisk(GOOD) as { params: Record<string, unknown> };
    const ours = parseRunRecord(data);
    expect(ours?.params).toEqual(data.params);
    expect(ours?.params).not.toBe(data.params);
  });
});

const BAD_PRICES: readonly [string, unknown][] = [
  ['negative', -0.04],
  ['text', '0.04'],
  ['null', null],
  ['an object', { usd: 0.04 }],
];

describe('a record with a bad price', () => {
  it.each(BAD_PRICES)('%s: read as the record without its price, by both parsers', (_name, cost) => {
    const data = fromDisk({ ...GOOD, cost_usd: cost });
    const expected = fromDisk(GOOD);
    expect(parseRunRecord(data)).toEqual(expected);
    expect(RunRecordSchema.safeParse(data)).toMatchObject({ success: true, data: expected });
  });

  it('is stored without its price by putRecord', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kontext-record-price-'));
    try {
      const store = await openStore(join(dir, 'cache'));
      const keys = BAD_PRICES.map((_, i) => SHA('0123'[i] ?? 'f'));
      for (const [i, [, cost]] of BAD_PRICES.entries())
        await store.putRecord({ ...GOOD, key: keys[i], cost_usd: cost } as unknown as RunRecord);
      const records = join(dir, 'cache', 'records');
      const files = (await readdir(records, { recursive: true })).filter((f) => f.endsWith('.json'));
      const stored = await Promise.all(files.map(async (f) => JSON.parse(await readFile(join(records, f), 'utf8'))));
      expect(stored.map((r: { key: string }) => r.key).sort()).toEqual([...keys].sort());
      for (const r of stored) expect(r).toEqual({ ...GOOD, key: (r as { key: string }).key });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
