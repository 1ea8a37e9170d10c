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
 * entry there only by Unicode normalization form; null when none, or more than one, does.
 */
export async function inOtherUnicodeForm(file: string): Promise<string | null> {
  if (/^[\x00-\x7f]*$/.test(file)) return null;
  const { root } = path.parse(file);
  let at = root;
  for (const part of file.slice(root.length).split(path.sep)) {
    if (part === '') continue;
    const exact = path.join(at, part);
    if (await exists(exact)) {
      at = exact;
      continue;
    }
    const want = part.normalize('NFC');
    const names = await readdir(at).catch(() => [] as string[]);
    const same = names.filter((n) => n !== part && n.normalize('NFC') === want);
    if (same.length !== 1) return null;
    at = path.join(at, same[0] as string);
  }
  return at === file ? null : at;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
