/**
 * Globs are case-sensitive, as the shell's are: `shots/*.jpg` leaves `IMG_02.JPG` out, and a
 * camera folder mixing `.jpg` and `.JPG` (or a file copied from another system) loses images with
 * no word said. The files a glob left out in a folder it matched in, whose extension is a matched
 * file's in another case, are named in a warning. Only the folders of a modest glob are read again.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** More folders than this and the check is skipped (a `**` over a tree: listing them again costs). */
const MAX_FOLDERS = 64;

/** The files (absolute, sorted) a glob that matched `files` left out beside them by an extension's case alone. */
export async function extensionCaseMisses(files: readonly string[]): Promise<string[]> {
  const matched = new Set(files);
  const extsByDir = new Map<string, Set<string>>();
  for (const file of files) {
    const ext = path.extname(file);
    if (ext === '') continue;
    const dir = path.dirname(file);
    const exts = extsByDir.get(dir) ?? new Set<string>();
    exts.add(ext);
    extsByDir.set(dir, exts);
  }
  if (extsByDir.size > MAX_FOLDERS) return [];
  const missed: string[] = [];
  for (const [dir, exts] of extsByDir) {
    const lower = new Set([...exts].map((e) => e.toLowerCase()));
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const ext = path.extname(name);
      const file = path.join(dir, name);
      if (name.startsWith('.') || exts.has(ext) || !lower.has(ext.toLowerCase()) || matched.has(file)) continue;
      missed.push(file);
    }
  }
  return missed.sort();
}
