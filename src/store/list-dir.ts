/** Folder listings for `kontext gc`'s sweeps of the cache dir: a missing folder lists as empty. */
import type { Stats } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isCode } from './errno.js';

/** The names in `dir`; none when it is missing (or not a folder). */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isCode(e, 'ENOENT', 'ENOTDIR')) return [];
    throw e;
  }
}

/** The entries of `dir`, with their paths. */
export async function listIn(dir: string): Promise<{ name: string; path: string }[]> {
  return (await listDir(dir)).map((name) => ({ name, path: join(dir, name) }));
}

/** The files of `<dir>/<ab>/…` (two-hex-char fan-out folders), sorted. */
export async function listFanOut(dir: string): Promise<{ name: string; path: string }[]> {
  const out: { name: string; path: string }[] = [];
  for (const sub of (await listDir(dir)).filter((n) => /^[0-9a-f]{2}$/.test(n)).sort()) {
    for (const name of (await listDir(join(dir, sub))).sort()) out.push({ name, path: join(dir, sub, name) });
  }
  return out;
}

/** `lstat` of a file a sweep met, or null once it is gone. */
export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    throw e;
  }
}

/** What gc's sweeps of small files (memos, hosting records) are told. */
export interface PruneOptions {
  readonly now: () => number;
  /** Count what would go; remove nothing. */
  readonly dryRun: boolean;
}

/** Whether `path` is still the file `seen` described: not rewritten since its scan (same inode, same mtime). */
export async function unchangedSince(path: string, seen: Stats): Promise<boolean> {
  const now = await lstatOrNull(path);
  return now !== null && now.mtimeMs === seen.mtimeMs && now.ino === seen.ino;
}

/** Remove `path`; one already gone is fine. */
export async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((e: unknown) => {
    if (!isCode(e, 'ENOENT')) throw e;
  });
}
