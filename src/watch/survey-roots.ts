/**
 * The folders to hand to the file watcher, looked up on disk (the pure part, what to watch,
 * is recipe/watch-targets.ts), and a file's stamp (how a save is told apart).
 */
import type { Stats } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { inOtherUnicodeForm } from '../recipe/sources/unicode-form.js';
import { isInside, type WatchRoot } from '../recipe/watch-targets.js';

export interface PresentRoot extends WatchRoot {
  readonly id: string;
}

export interface RootSurvey {
  /** The folders to watch now, as they are on disk. */
  readonly present: readonly PresentRoot[];
  /** Each root's identity now (`null`: missing): a folder deleted and made again has a new one. */
  readonly ids: ReadonlyMap<string, string | null>;
  /**
   * Each existing root's folder as it is on disk: itself, or its name in the other Unicode form
   * (written composed, on disk decomposed as macOS leaves it, or the reverse: unicode-form.ts).
   */
  readonly onDisk: ReadonlyMap<string, string>;
}

/**
 * The folders to hand to the file watcher now. A root that is not an existing folder is
 * watched from its nearest existing ancestor, recursively: the filter lets in only the folders
 * on the way to a root, so creating the missing folder (or a matching file in it) is seen
 * without polling. Roots inside a recursive one are covered by it and left out. A folder (root
 * or ancestor) on disk only in the other Unicode form than written is watched as it is on disk.
 */
export async function surveyRoots(roots: readonly WatchRoot[]): Promise<RootSurvey> {
  const present = new Map<string, { recursive: boolean; id: string }>();
  const ids = new Map<string, string | null>();
  const onDisk = new Map<string, string>();
  for (const root of roots) {
    const at = await nearestFolder(root.path);
    ids.set(root.path, at.isRoot ? at.id : null);
    if (at.isRoot) onDisk.set(root.path, at.path);
    const recursive = (present.get(at.path)?.recursive ?? false) || root.recursive || !at.isRoot;
    present.set(at.path, { recursive, id: at.id });
  }
  const deep = [...present].filter(([, r]) => r.recursive).map(([path]) => path);
  const kept = [...present].filter(([path]) => !deep.some((d) => isInside(path, d)));
  return { present: kept.map(([path, r]) => ({ path, ...r })), ids, onDisk };
}

interface Folder {
  /** As it is on disk. */
  readonly path: string;
  readonly id: string;
  /** The folder asked for itself (in either Unicode form), not an ancestor. */
  readonly isRoot: boolean;
}

async function nearestFolder(path: string): Promise<Folder> {
  for (let at = path; ; at = dirname(at)) {
    const found = await folderAt(at);
    if (found) return { ...found, isRoot: at === path };
    if (dirname(at) === at) return { path: at, id: '', isRoot: at === path };
  }
}

/** `at` as a folder on disk (as written, else in the other Unicode form) and its identity; null if neither is one. */
async function folderAt(at: string): Promise<{ readonly path: string; readonly id: string } | null> {
  const exact = await stat(at).catch(() => null);
  if (exact) return exact.isDirectory() ? { path: at, id: await identity(at, exact) } : null;
  const other = await inOtherUnicodeForm(at);
  const info = other === null ? null : await stat(other).catch(() => null);
  return other !== null && info?.isDirectory() ? { path: other, id: await identity(other, info) } : null;
}

/**
 * The folder's device, inode and birth time (inode numbers are reused at once on ext4: the birth
 * time tells a folder made again apart), and when `at` is a symlink to it, the link's own: a folder
 * renamed and a symlink to it put in its place (or the folder moved back over the link) keeps its
 * inode, but what is at the path changed, and a watcher opened on the old layout may have lost it.
 */
async function identity(at: string, folder: Stats): Promise<string> {
  const own = `${folder.dev}:${folder.ino}:${folder.birthtimeMs}`;
  const link = await lstat(at).catch(() => null);
  return link?.isSymbolicLink() ? `${own}@link:${link.dev}:${link.ino}:${link.birthtimeMs}` : own;
}

/** A file's size, times and inode as one string ('' when it is not there): a save changes it. */
export async function fileStamp(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  return info ? `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}` : '';
}
