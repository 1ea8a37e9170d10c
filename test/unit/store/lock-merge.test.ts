/**
 * The merge rules of a conflicted lock's two sides (src/store/lock-merge.ts): the same entry on
 * both sides, an entry on one side only, and two different entries decided by the output file on
 * disk, else the node's `save:` copy, else the local cache, else ours (HEAD). The judge is what
 * run/lock-resolve.ts hands in (the store's memoized hash of the output file and the copy, the
 * cache's blobs); here it is a table.
 */
import { describe, expect, it } from 'vitest';
import { mergeLockSides, mergeLockThreeWay } from '../../../src/store/lock-merge.js';
import type { LockEntry } from '../../../src/store/types.js';

const entry = (seed: number, sha: string): LockEntry => ({
  seed,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: sha.repeat(64),
  output: 'out/p/x.png',
  provider: 'emulator',
  model: 'm',
  request_id: `r${seed}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});

/** The output file holds `onDisk` (a sha256 digit, or none); the cache holds `cached`. */
function judge(onDisk: string | null, cached: readonly string[]) {
  return {
    outputHolds: async (e: LockEntry) => onDisk !== null && e.output_sha256 === onDisk.repeat(64),
    cacheHolds: async (sha: string) => cached.some((c) => c.repeat(64) === sha),
  };
}

describe('mergeLockSides', () => {
  const same = entry(1, 'c');
  const onlyOurs = entry(2, 'd');
  const onlyTheirs = entry(3, 'e');
  const ours = entry(4, '1');
  const theirs = entry(5, '2');
  const sides = {
    ours: { version: 1 as const, nodes: { same, mine: onlyOurs, both: ours } },
    theirs: { version: 1 as const, nodes: { same: { ...same }, yours: onlyTheirs, both: theirs } },
    hunks: 1,
  };

  it('keeps an entry both sides hold, and each side-only entry', async () => {
    const merged = await mergeLockSides(sides, judge(null, []));
    expect(merged.lock.nodes).toMatchObject({ same, mine: onlyOurs, yours: onlyTheirs });
    expect([...merged.rules]).toEqual([
      ['both', 'ours'],
      ['mine', 'one-side'],
      ['same', 'same'],
      ['yours', 'one-side'],
    ]);
  });

  it.each([
    ['the output file holds theirs', judge('2', ['1']), theirs, 'file'],
    ['the output file holds ours', judge('1', ['2']), ours, 'file'],
    ['the file holds neither, only theirs is cached', judge('9', ['2']), theirs, 'cache'],
    ['no file, only ours is cached', judge(null, ['1']), ours, 'cache'],
    ['no file, both cached', judge(null, ['1', '2']), ours, 'ours'],
    ['no file, nothing cached', judge(null, []), ours, 'ours'],
  ])('two different entries of a node: %s', async (_name, j, want, rule) => {
    const merged = await mergeLockSides(sides, j);
    expect(merged.lock.nodes['both']).toEqual(want);
    expect(merged.rules.get('both')).toBe(rule);
  });

  /** As {@link judge}, and node `both`'s `save:` copy holds `saved` (a sha256 digit). */
  const withSave = (onDisk: string | null, saved: string, cached: readonly string[]) => ({
    ...judge(onDisk, cached),
    saveHolds: async (node: string, e: LockEntry) => node === 'both' && e.output_sha256 === saved.repeat(64),
  });

  it.each([
    ['no output file: the save: copy holds theirs, ours is cached', withSave(null, '2', ['1']), theirs, 'save'],
    ['the output file holds neither: the copy holds ours', withSave('9', '1', ['2']), ours, 'save'],
    ['the output file holds ours, the copy theirs: the output file first', withSave('1', '2', []), ours, 'file'],
    ['the copy holds neither: the cache', withSave(null, '9', ['2']), theirs, 'cache'],
  ])('a save: copy decides after the output file, before the cache: %s', async (_name, j, want, rule) => {
    const merged = await mergeLockSides(sides, j);
    expect(merged.lock.nodes['both']).toEqual(want);
    expect(merged.rules.get('both')).toBe(rule);
  });
});

describe('mergeLockThreeWay (the merge driver: with the base)', () => {
  const [kept, changed, newer, dropped, ours, theirs] = ['1', '2', '3', '4', '5', '6'].map((d, i) => entry(i, d));
  const lock = (nodes: Record<string, LockEntry>) => ({ version: 1 as const, nodes });
  const base = lock({ kept: kept!, changed: changed!, dropped: dropped!, both: changed! });

  it('a node changed, added or deleted on one side takes that side; changed on both, the rules', async () => {
    const merged = await mergeLockThreeWay(
      base,
      { ours: lock({ kept: kept!, changed: newer!, both: ours! }), theirs: lock({ ...base.nodes, both: theirs! }) },
      judge('6', []),
    );
    expect(merged.lock.nodes).toEqual({ kept, changed: newer, both: theirs });
    expect(merged.removed).toEqual(['dropped']);
    expect(merged.rules.get('both')).toBe('file');
    expect(merged.rules.get('changed')).toBe('one-side');
  });

  it('unsure base entries (a base git left conflicted): a difference goes by the rules, a deletion loses', async () => {
    const merged = await mergeLockThreeWay(
      base,
      { ours: lock({ kept: kept!, changed: changed!, both: ours! }), theirs: lock({ kept: kept!, both: theirs! }) },
      judge('6', []),
      new Set(['changed', 'both']),
    );
    // Known: changed equals ours and the base, so theirs' deletion would win; unsure, it is kept.
    expect(merged.lock.nodes).toEqual({ kept, changed, both: theirs });
    expect(merged.rules.get('changed')).toBe('one-side');
    expect(merged.rules.get('both')).toBe('file');
    expect(merged.removed).toEqual(['dropped']);
  });

  it('deleted on one side and changed on the other keeps the changed entry', async () => {
    const merged = await mergeLockThreeWay(
      base,
      { ours: lock({ kept: kept! }), theirs: lock({ ...base.nodes, changed: newer! }) },
      judge(null, []),
    );
    expect(merged.lock.nodes['changed']).toEqual(newer);
    expect(merged.removed).toEqual(['both', 'dropped']);
  });
});
