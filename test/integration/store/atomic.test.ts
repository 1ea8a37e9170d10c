/**
 * writeFileAtomic without fsync (rebuildable files, written in synchronous calls, or async
 * ones with `blocking: false`) behaves as the synced form; copyFileAtomicUnsynced creates the
 * folder, replaces whole and leaves no temp on failure.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileAtomicUnsynced, writeFileAtomic } from '../../../src/store/atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ['synchronous calls', {}],
  ['async calls (blocking: false, off the event loop)', { blocking: false }],
] as const)('writeFileAtomic with sync: false, in %s', (_, how) => {
  it('creates missing folders, replaces a file whole, keeps the mode and leaves no temp file', async () => {
    const target = join(dir, 'a', 'b', 'rec.json');
    await writeFileAtomic(target, 'one', { sync: false, ...how });
    await writeFileAtomic(target, new TextEncoder().encode('two'), { sync: false, mode: 0o600, ...how });
    expect(await readFile(target, 'utf8')).toBe('two');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['rec.json']);
  });

  it('fails on a folder in the way without leaving a temp file', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(writeFileAtomic(join(dir, 'file', 'rec.json'), 'x', { sync: false, ...how })).rejects.toThrow();
    await rm(join(dir, 'file'));
    await writeFileAtomic(join(dir, 'rec.json'), 'x', { sync: false, ...how });
    await mkdir(join(dir, 'taken'));
    await expect(writeFileAtomic(join(dir, 'taken'), 'x', { sync: false, ...how })).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['rec.json', 'taken']);
  });
});

describe('writeFileAtomic with sync: false, pieces', () => {
  it('writes pieces one after another, synced or not', async () => {
    const pieces = (): Iterable<string> => ['{"a":', '1', ',"b":"é"}'];
    await writeFileAtomic(join(dir, 'n', 'x.json'), pieces(), { sync: false });
    await writeFileAtomic(join(dir, 's', 'x.json'), pieces());
    expect(await readFile(join(dir, 'n', 'x.json'), 'utf8')).toBe('{"a":1,"b":"é"}');
    expect(await readFile(join(dir, 's', 'x.json'), 'utf8')).toBe('{"a":1,"b":"é"}');
    expect(await readdir(join(dir, 'n'))).toEqual(['x.json']);
  });
});

describe('copyFileAtomicUnsynced', () => {
  it('creates a missing parent folder, replaces a file whole and leaves no temp file', async () => {
    await writeFile(join(dir, 'src1'), 'first');
    await writeFile(join(dir, 'src2'), 'second, longer');
    const target = join(dir, 'a', 'b', 'blob');
    copyFileAtomicUnsynced(join(dir, 'src1'), target);
    expect(await readFile(target, 'utf8')).toBe('first');
    copyFileAtomicUnsynced(join(dir, 'src2'), target);
    expect(await readFile(target, 'utf8')).toBe('second, longer');
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['blob']);
  });

  it('fails on a missing source, a file or a folder in the way, without leaving a temp file', async () => {
    expect(() => copyFileAtomicUnsynced(join(dir, 'missing'), join(dir, 'new', 'blob'))).toThrow(/ENOENT/);
    expect(await readdir(join(dir, 'new'))).toEqual([]); // the folder was made for the retry; no temp in it
    await writeFile(join(dir, 'src'), 'x');
    await writeFile(join(dir, 'file'), 'x');
    expect(() => copyFileAtomicUnsynced(join(dir, 'src'), join(dir, 'file', 'blob'))).toThrow(/ENOTDIR/);
    await mkdir(join(dir, 'taken'));
    expect(() => copyFileAtomicUnsynced(join(dir, 'src'), join(dir, 'taken'))).toThrow();
    expect((await readdir(dir)).sort()).toEqual(['file', 'new', 'src', 'taken']);
    expect(await readdir(join(dir, 'taken'))).toEqual([]);
  });
});
