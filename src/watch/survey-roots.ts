/**
 * The folders to hand to the file watcher, looked up on disk (the pure part, what to watch,
 * is recipe/watch-targets.ts), and a file's stamp (how a save is told apart).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isInside, type WatchRoot } from '../recipe/watch-targets.js';

export interface PresentRoot extends WatchRoot {
  readonly id: string;
}

export interface RootSurvey {
  /** The folders to watch now. */
  readonly present: readonly PresentRoot[];
  /** Each root's identity now (`null`: missing): a folder deleted and made again has a new one. */
  readonly ids: ReadonlyMap<string, string | null>;
}

/**
 * The folders to hand to the file watcher now. A root that is not an existing folder is
 * watched from its nearest existing ancestor, recursively: the filter lets in only the folders
 * on the way to a root, so creating the missing folder (or a matching file in it) is seen
 * without polling. Roots inside a recursive one are covered by it and left out.
 */
export async function surveyRoots(roots: readonly WatchRoot[]): Promise<RootSurvey> {
  const present = new Map<string, { recursive: boolean; id: string }>();
  const ids = new Map<string, string | null>();
  for (const root of roots) {
    const at = await nearestFolder(root.path);
    ids.set(root.path, at.path === root.path ? at.id : null);
    const recursive = (present.get(at.path)?.recursive ?? false) || root.recursive || at.path !== root.path;
    present.set(at.path, { recursive, id: at.id });
  }
  const deep = [...present].filter(([, r]) => r.recursive).map(([path]) => path);
  const kept = [...present].filter(([path]) => !deep.some((d) => isInside(path, d)));
  return { present: kept.map(([path, r]) => ({ path, ...r })), ids };
}

async function nearestFolder(path: string): Promise<{ readonly path: string; readonly id: string }> {
  for (let at = path; ; at = dirname(at)) {
    const info = await stat(at).catch(() => null);
    // Inode numbers are reused at once on ext4: the birth time tells a folder made again apart.
    if (info?.isDirectory() || dirname(at) === at)
      return { path: at, id: info ? `${info.dev}:${info.ino}:${info.birthtimeMs}` : '' };
  }
}

/** A file's size, times and inode as one string ('' when it is not there): a save changes it. */
export async function fileStamp(path: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  return info ? `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}` : '';
}
