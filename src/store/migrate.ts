/**
 * Moving an old per-project cache (`<project>/.kontext/`, before the cache moved to one per
 * user) into the user's store, so upgrading pays for nothing. Blobs and records are content
 * addressed (same name, same bytes), so merging is idempotent: an entry the store already has
 * wins and the old copy is dropped. Journal entries move too, so a request submitted before
 * the upgrade is still re-attached. Hosted-URL records and the source-hash memo are caches of
 * caches and are dropped with the old folder.
 */
import { copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { isCode, tempPathFor, withParentDir } from './atomic.js';
import { layout } from './layout.js';

export interface MigrationResult {
  readonly blobs: number;
  readonly records: number;
  readonly journal: number;
}

/** An old store has the layout's folders (and usually the CACHEDIR.TAG it wrote). */
async function looksLikeStore(dir: string): Promise<boolean> {
  const isDir = async (p: string) => (await stat(p).catch(() => null))?.isDirectory() === true;
  return (await isDir(layout.blobs(dir))) && (await isDir(layout.records(dir)));
}

/**
 * Merge `oldRoot` into the store at `root` and remove `oldRoot`; `null` when there is nothing
 * to migrate (no old store, or it is the store in use).
 */
export async function migrateOldStore(oldRoot: string, root: string): Promise<MigrationResult | null> {
  if (resolve(oldRoot) === resolve(root)) return null;
  // The store inside the old folder (e.g. `--cache-dir .kontext/x`) is never moved out of itself.
  if (!relative(oldRoot, root).startsWith('..')) return null;
  if (!(await looksLikeStore(oldRoot))) return null;
  const blobs = await moveTree(layout.blobs(oldRoot), layout.blobs(root));
  const records = await moveTree(layout.records(oldRoot), layout.records(root));
  const journal = await moveTree(layout.journal(oldRoot), layout.journal(root));
  await rm(oldRoot, { recursive: true, force: true });
  return { blobs, records, journal };
}

/** Move every file under `from` to the same relative path under `to`; returns how many were new there. */
async function moveTree(from: string, to: string): Promise<number> {
  let moved = 0;
  const entries = await readdir(from, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile() || e.name.endsWith('.tmp')) continue;
    const source = join(e.parentPath, e.name);
    const target = join(to, relative(from, source));
    if (await exists(target)) continue;
    if (await moveFile(source, target)) moved++;
  }
  return moved;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** Rename (same filesystem) or copy through a temp name (another one); false when the source went away meanwhile. */
async function moveFile(source: string, target: string): Promise<boolean> {
  try {
    await withParentDir(target, () => rename(source, target));
    return true;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false;
    if (!isCode(e, 'EXDEV')) throw e;
  }
  const tmp = tempPathFor(target);
  await copyFile(source, tmp);
  await rename(tmp, target);
  return true;
}
