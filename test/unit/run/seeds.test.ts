/**
 * Seed precedence: recipe > session > a paid request the lock lacks > lock > journal (a paid, unrecorded
 * request) > derived > drawn; --reseed skips lock and journal.
 */
import { describe, expect, it } from 'vitest';
import type { PlanNode } from '../../../src/plan/types.js';
import { chooseSeed, journaledByNode, journaledSeed } from '../../../src/run/seeds.js';
import type { JournalEntry, LockEntry } from '../../../src/store/types.js';

const node = (seed: number | null): PlanNode => ({ id: 'jacket', pass: 'jacket', seed }) as unknown as PlanNode;
const locked = { seed: 20 } as LockEntry;
const draw = (): number => 99;

describe('chooseSeed', () => {
  it.each([
    ['recipe wins over everything', node(7), locked, undefined, 30, { seed: 7, source: 'recipe' }],
    ['recipe wins even when reseeding', node(7), locked, 'all', 30, { seed: 7, source: 'recipe' }],
    ['lock before journal', node(null), locked, undefined, 30, { seed: 20, source: 'lock' }],
    ['journal when the lock has none', node(null), undefined, undefined, 30, { seed: 30, source: 'journal' }],
    ['drawn when neither', node(null), undefined, undefined, undefined, { seed: 99, source: 'drawn' }],
    ['--reseed skips the lock', node(null), locked, ['jacket'], undefined, { seed: 99, source: 'drawn' }],
    ['--reseed skips the journal', node(null), undefined, 'all', 30, { seed: 99, source: 'drawn' }],
    ['--reseed of another pass keeps the lock', node(null), locked, ['umbrella'], 30, { seed: 20, source: 'lock' }],
  ] as const)('%s', (_name, n, lock, reseed, journaled, expected) => {
    expect(chooseSeed(n, { locked: lock, reseed, draw, journaled })).toEqual(expected);
  });

  it('a paid request the lock lacks, of the node as it asks now, wins over the lock only', () => {
    const paidUnlocked = 40;
    expect(chooseSeed(node(null), { locked, draw, paidUnlocked })).toEqual({ seed: 40, source: 'journal' });
    expect(chooseSeed(node(7), { locked, draw, paidUnlocked })).toEqual({ seed: 7, source: 'recipe' });
    expect(chooseSeed(node(null), { locked, draw, paidUnlocked, session: 5 })).toEqual({ seed: 5, source: 'session' });
    expect(chooseSeed(node(null), { locked, draw, paidUnlocked, reseed: 'all' })).toEqual({
      seed: 99,
      source: 'drawn',
    });
  });

  it('derives a seed only when nothing else pins one (it hashes the node: not for every cached node)', () => {
    let derivations = 0;
    const derive = (): number => {
      derivations += 1;
      return 55;
    };
    expect(chooseSeed(node(7), { locked, draw, derive })).toEqual({ seed: 7, source: 'recipe' });
    expect(chooseSeed(node(null), { locked, draw, derive })).toEqual({ seed: 20, source: 'lock' });
    expect(derivations).toBe(0);
    expect(chooseSeed(node(null), { draw, derive })).toEqual({ seed: 55, source: 'derived' });
    expect(chooseSeed(node(null), { draw, derive, reseed: 'all' })).toEqual({ seed: 99, source: 'drawn' });
    expect(derivations).toBe(1);
  });

  it('journaledSeed: the newest entry of the node that fits (keyed as it asks now, else its own recipe)', () => {
    const entry = (node: string, seed: number, key = 'k', lock?: string): JournalEntry =>
      ({ node, seed, key, ...(lock ? { lock } : {}) }) as JournalEntry;
    const byNode = journaledByNode([entry('a', 1, 'k1'), entry('b', 2), entry('a', 3, 'k3', '/other.lock.json')]);
    const mine = (e: JournalEntry): boolean => e.lock === undefined;
    expect(journaledSeed(byNode.get('a'), { keyed: null, own: () => true })).toBe(3);
    expect(journaledSeed(byNode.get('a'), { keyed: null, own: mine })).toBe(1);
    expect(journaledSeed(byNode.get('a'), { keyed: (e) => e.key === 'k1', own: () => true })).toBe(1);
    expect(journaledSeed(byNode.get('a'), { keyed: (e) => e.key === 'k9', own: () => true })).toBeUndefined();
    expect(journaledSeed(byNode.get('c'), { keyed: null, own: () => true })).toBeUndefined();
  });
});
