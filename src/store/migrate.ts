/**
 * Moving an old per-project cache (`<project>/.kontext/`, before the cache moved to one per
 * user) into the user's store, so upgrading pays for nothing. Blobs and records are content
 * addressed (same name, same bytes), so merging is idempotent: an entry the store already has
 * wins and the old copy is dropped. Journal entries move too, so a request submitted before
 * the upgrade is still re-attached. Hosted-URL records and the source-hash memo are caches of
 * caches and are dropped with the old folder.
 */
import { copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { syncFile, tempPathFor, withParentDir } from './atomic.js';
import { isCode } from './errno.js';
import { syncDir } from './dir-sync.js';
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
  const landed = new Set<string>();
  const blobs = await moveTree(layout.blobs(oldRoot), layout.blobs(root), landed);
  const records = await moveTree(layout.records(oldRoot), layout.records(root), landed);
  const journal = await moveTree(layout.journal(oldRoot), layout.journal(root), landed);
  // The moved names made durable before the old copies go: a power cut must not lose both.
  await Promise.all([...landed].map(syncDir));
  await rm(oldRoot, { recursive: true, force: true });
  return { blobs, records, journal };
}

/**
 * Move every file under `from` to the same relative path under `to`; returns how many were new
 * there. The folders they landed in are added to `landed` (to be fsynced).
 */
async function moveTree(from: string, to: string, landed: Set<string>): Promise<number> {
  let moved = 0;
  const entries = await readdir(from, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile() || e.name.endsWith('.tmp')) continue;
    const source = join(e.parentPath, e.name);
    const target = join(to, relative(from, source));
    if (await exists(target)) continue;
    if (!(await moveFile(source, target))) continue;
    landed.add(dirname(target));
    moved++;
  }
  return moved;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** Rename (same filesystem) or copy through a temp name (another one); false when the source went away meanwhile. */
async function moveFile(source: string, target: string): Promise<boolean> {
  try {
    await withParentDir(target, () => rename(source, target), true);
    return true;
  } catch (e) {
    if (isCode(e, 'ENOENT')) return false;
    if (!isCode(e, 'EXDEV')) throw e;
  }
  const tmp = tempPathFor(target);
  await copyFile(source, tmp);
  await syncFile(tmp);
  await rename(tmp, target);
  return true;
}
