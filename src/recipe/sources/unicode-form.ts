/**
 * A named source whose file is on disk under another Unicode form of its name: `café.jpg`
 * written composed (NFC) in the recipe, decomposed (NFD) on disk, as macOS tools, zip files and
 * some git histories leave it. macOS opens either form (its file systems ignore the form), Linux
 * and git do not: without this the recipe runs on the Mac that wrote it and fails with "file not
 * found" on a Linux teammate's or CI's checkout of the very same files. The bytes are the same
 * file, so the node keys (by content) are too: nothing is paid again.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** `path` composed (NFC): watch mode compares a path the watcher reports with one the recipe names so. */
export function nfc(path: string): string {
  return /^[\x00-\x7f]*$/.test(path) ? path : path.normalize('NFC');
}

/**
 * `file` (absolute) as it is on disk when its name, or a folder's on the way, differs from an
 * entry there only by Unicode normalization form; null when none, or more than one, does, and
 * when `file` exists as written. That costs one stat: the other form is looked for only when the
 * exact path is missing, and then only below the deepest folder on the way that exists as written
 * (a stat per level up to it, a listing per name looked up).
 */
export async function inOtherUnicodeForm(file: string): Promise<string | null> {
  if (/^[\x00-\x7f]*$/.test(file) || (await exists(file))) return null;
  const { root } = path.parse(file);
  const parts = file
    .slice(root.length)
    .split(path.sep)
    .filter((p) => p !== '');
  // parts[0..known) exist as written; parts[known] does not (the whole path does not).
  let known = parts.length - 1;
  while (known > 0 && !(await exists(path.join(root, ...parts.slice(0, known))))) known--;
  let at = path.join(root, ...parts.slice(0, known));
  for (const [i, part] of parts.slice(known).entries()) {
    const exact = path.join(at, part);
    if (i > 0 && (await exists(exact))) {
      at = exact;
      continue;
    }
    const want = part.normalize('NFC');
    const names = await readdir(at).catch(() => [] as string[]);
    const same = names.filter((n) => n !== part && n.normalize('NFC') === want);
    if (same.length !== 1) return null;
    at = path.join(at, same[0] as string);
  }
  return at;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
