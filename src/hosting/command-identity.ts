/**
 * What a hosting command's URL records are keyed by (walk-af 6). The command's text alone named
 * another program in each project: `./scripts/upload.sh` runs in the project's root, so two
 * projects sharing the per-user cache took each other's URLs (the second one's script never
 * ran), and an edited script changed nothing until its URLs expired. So the identity is the text,
 * the folder it runs in (the project root), the program it starts (argv[0]: a path resolved
 * against that folder, a bare name found on `PATH`) and the sha256 of each file of the project
 * the command names (a script it runs as `./upload.sh` or `sh scripts/upload.sh`): an edited
 * script hosts anew. Looked at before each use, so a watch session notices an edit; a file is
 * hashed again only when its size, mtime, ctime or inode changed.
 */
import { stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';
import { sha256OfFile } from '../util/file-sha256.js';

/** Where a string command's words split: blanks and the shell's operators. */
const SHELL_SPLIT = /[\s;&|()<>]+/;
/** A word naming no file as written: an expansion, a glob, an assignment. */
const NOT_A_PATH = /[$`*?[\]{}~]|^\w+=/;

/** The words of a command that may name a file: an argv as it is, a shell string split roughly (quotes dropped). */
function wordsOf(command: string | readonly string[]): string[] {
  if (typeof command !== 'string') return [...command];
  return command
    .split(SHELL_SPLIT)
    .map((w) => w.replace(/^(['"])(.*)\1$/s, '$2'))
    .filter((w) => w !== '');
}

async function regularFile(path: string): Promise<{ key: string } | null> {
  const s = await stat(path).catch(() => null);
  if (s === null || !s.isFile()) return null;
  return { key: `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` };
}

/** `program` as the command starts it: a path against `cwd`, a bare name on `PATH`, else as written. */
async function resolveProgram(program: string, cwd: string, path: string | undefined): Promise<string> {
  if (program.includes('/')) return resolve(cwd, program);
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, program);
    if (await regularFile(candidate)) return candidate;
  }
  return program;
}

/**
 * The identity of `command` run in `cwd` (the project root), made again at each call: see the
 * file's comment. `path`: the `PATH` the command runs with.
 */
export function commandIdentity(
  command: string | readonly string[],
  cwd: string,
  path: string | undefined,
): () => Promise<Readonly<Record<string, unknown>>> {
  const root = resolve(cwd);
  const words = wordsOf(command);
  const hashed = new Map<string, { readonly key: string; readonly sha256: Promise<string> }>();

  async function projectFile(word: string): Promise<[string, string] | null> {
    if (NOT_A_PATH.test(word)) return null;
    const file = resolve(root, word);
    const rel = relative(root, file);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    const found = await regularFile(file);
    if (found === null) return null;
    let known = hashed.get(rel);
    if (known?.key !== found.key) {
      known = { key: found.key, sha256: sha256OfFile(file).then((h) => h.sha256) };
      hashed.set(rel, known);
    }
    // A file that vanished between the stat and the read names nothing.
    const sha = await known.sha256.catch(() => null);
    return sha === null ? null : [rel, sha];
  }

  return async () => {
    const first = words.find((w) => !/^\w+=/.test(w)) ?? '';
    const program = NOT_A_PATH.test(first) ? first : await resolveProgram(first, root, path);
    const files = (await Promise.all(words.map(projectFile))).filter((f) => f !== null);
    return { command, cwd: root, program, files };
  };
}
