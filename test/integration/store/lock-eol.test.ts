/**
 * A lock checked out with CRLF line endings (`core.autocrlf=true`, `eol=crlf`) keeps them when
 * a run or the merge of a conflicted lock rewrites it, and a write that changes nothing leaves
 * it alone: no diff of every line, no warning or refusal from git's `core.safecrlf`.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLock, LockCache, readLock, updateLock } from '../../../src/store/index.js';
import { writeResolvedLock } from '../../../src/store/lock-merge.js';
import { lockEntry as entry } from '../../helpers/lock-entries.js';

let dir: string;
let lockPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-lock-eol-'));
  lockPath = join(dir, 'r.lock.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const crlf = (text: string): string => text.split('\n').join('\r\n');
const bareLf = (text: string): boolean => /(^|[^\r])\n/.test(text);

describe('a CRLF lock', () => {
  it('is rewritten with CRLF by every update, the cached writer too; an LF lock stays LF', async () => {
    await writeFile(lockPath, crlf(formatLock({ version: 1, nodes: { a: entry(1) } })));
    const cache = new LockCache();
    await updateLock(lockPath, (n) => void (n['b'] = entry(2)), { cache });
    await updateLock(lockPath, (n) => void (n['c'] = entry(3)), { cache });
    const text = await readFile(lockPath, 'utf8');
    expect(text).toBe(crlf(formatLock({ version: 1, nodes: { a: entry(1), b: entry(2), c: entry(3) } })));
    expect(bareLf(text)).toBe(false);
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a', 'b', 'c']);

    await writeFile(lockPath, formatLock({ version: 1, nodes: { a: entry(1) } }));
    await updateLock(lockPath, (n) => void (n['b'] = entry(2)));
    expect(await readFile(lockPath, 'utf8')).toBe(formatLock({ version: 1, nodes: { a: entry(1), b: entry(2) } }));
  });

  it('is left alone (same inode, same bytes) by an update that changes nothing', async () => {
    const text = crlf(formatLock({ version: 1, nodes: { a: entry(1), b: entry(2) } }));
    await writeFile(lockPath, text);
    const before = await stat(lockPath);
    await updateLock(lockPath, (n) => void (n['a'] = { ...entry(1) }));
    expect(await readFile(lockPath, 'utf8')).toBe(text);
    expect((await stat(lockPath)).ino).toBe(before.ino);
  });

  it('with git conflict markers is merged into a CRLF lock', async () => {
    const ours = formatLock({ version: 1, nodes: { a: entry(1) } });
    const theirs = formatLock({ version: 1, nodes: { a: entry(9) } });
    const conflicted = crlf(`<<<<<<< HEAD\n${ours}=======\n${theirs}>>>>>>> b\n`);
    await writeFile(lockPath, conflicted);
    expect(await writeResolvedLock(lockPath, conflicted, { version: 1, nodes: { a: entry(1) } })).toBe(true);
    expect(await readFile(lockPath, 'utf8')).toBe(crlf(ours));
  });
});
