/**
 * The merge driver's text for a lock it leaves partly conflicted (src/store/lock-markers.ts):
 * each side, read back as every conflicted lock is (lock-conflict.ts), is the decided entries
 * plus that side's entry of each undecided node, valid JSON with no comma to repair; neighbours
 * share a hunk.
 */
import { describe, expect, it } from 'vitest';
import { parseConflictedLock } from '../../../src/store/lock-conflict.js';
import { parseLock } from '../../../src/store/lock-file.js';
import { formatLockWithConflicts } from '../../../src/store/lock-markers.js';
import { lockEntry } from '../../helpers/lock-entries.js';

describe('formatLockWithConflicts', () => {
  it('gives back both sides whole: decided entries on both, each left node its side', () => {
    const decided = { a: lockEntry(1), c: lockEntry(3) };
    const left = [
      { id: 'b', ours: lockEntry(12), theirs: lockEntry(22) },
      { id: 'd', ours: lockEntry(14), theirs: lockEntry(24) },
      { id: 'e', ours: lockEntry(15), theirs: lockEntry(25) },
    ];
    const text = formatLockWithConflicts(decided, left, { ours: 'ours', theirs: 'theirs' });
    const sides = parseConflictedLock(text, 'p.lock.json', parseLock);
    expect(sides?.hunks).toBe(2); // b alone; d and e, neighbours, in one
    expect(sides?.ours.nodes).toEqual({ ...decided, b: lockEntry(12), d: lockEntry(14), e: lockEntry(15) });
    expect(sides?.theirs.nodes).toEqual({ ...decided, b: lockEntry(22), d: lockEntry(24), e: lockEntry(25) });
    // Each side is JSON as it stands (lock-conflict.ts would repair a comma, not this text).
    const ours = text.replace(/^={7}\n[\s\S]*?^>{7} theirs\n/gm, '').replace(/^<{7} ours\n/gm, '');
    expect(Object.keys((JSON.parse(ours) as { nodes: object }).nodes)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
