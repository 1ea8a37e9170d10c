/**
 * The report's pure parts: a run record's change review read by shape (anything else is no
 * review, never a crash), which files under `<out>/report/` are the report's (a pass named
 * `report` keeps its outputs), and the served file paths (traversal never matches).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isReportFile } from '../../../src/plan/report-paths.js';
import { requestedFile } from '../../../src/report/serve/files.js';
import { readReview } from '../../../src/report/review.js';
import type { RunRecord } from '../../../src/store/types.js';

const SHA = 'a'.repeat(64);
const good = {
  metric: 'cie76-lab',
  threshold: 10,
  changed_pct: 12.5,
  chain_changed_pct: 30,
  map_sha256: SHA,
  width: 256,
  height: 320,
};
const record = (review: unknown): RunRecord => ({ review }) as unknown as RunRecord;

describe('readReview', () => {
  it.each([
    ['a full review', good, good],
    ['chain unknown', { ...good, chain_changed_pct: null }, { ...good, chain_changed_pct: null }],
    ['chain missing', { ...good, chain_changed_pct: undefined }, { ...good, chain_changed_pct: null }],
    ['no review', undefined, null],
    ['not an object', 'big', null],
    ['a bad map id', { ...good, map_sha256: '../../etc/passwd' }, null],
    ['a string percentage', { ...good, changed_pct: '12' }, null],
    ['NaN', { ...good, changed_pct: Number.NaN }, null],
    ['no metric', { ...good, metric: undefined }, null],
  ])('%s', (_name, review, expected) => {
    expect(readReview(record(review))).toEqual(expected);
  });
  it('a missing record', () => expect(readReview(null)).toBeNull());
});

describe('isReportFile', () => {
  const out = join('/p', 'out', 'r');
  it.each([
    ['report/index.html', true],
    ['report/.index.html.1a2b-3.tmp', true],
    ['report/thumbs/x.webp', true],
    ['report/maps/x.png', true],
    ['report/inputs/x.webp', true],
    ['report/photo.png', false], // a pass called `report`
    ['report', false],
    ['bag/photo.png', false],
    ['../report/index.html', false],
  ])('%s → %s', (rel, expected) => expect(isReportFile(out, join(out, rel))).toBe(expected));
});

describe('requestedFile', () => {
  it.each([
    ['/bag/photo-v2.png', 'bag/photo-v2.png'],
    ['/report/thumbs/abc.webp', 'report/thumbs/abc.webp'],
    ['/a%20b/c.png', 'a b/c.png'],
    ['/../recipe.yml', null],
    ['/%2e%2e/recipe.yml', null],
    ['/x/%2e%2e%2f%2e%2e%2frecipe.yml', null],
    ['/x/..%5crecipe.yml', null],
    ['/x/a%00.png', null],
    ['//etc/passwd', null],
    ['/./x.png', null],
    ['/%E0%A4%A', null],
    ['relative.png', null],
  ])('%s → %s', (path, expected) => expect(requestedFile(path)).toBe(expected));
});
