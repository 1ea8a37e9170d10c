/**
 * Writing an output can fail for reasons a person fixes, not bugs: no permission, a read-only
 * or full disk, a file where a folder should be. Those become one typed error (exit 73, sysexits
 * CANTCREAT) naming the path; anything else is passed on unchanged.
 */
import { lstatSync } from 'node:fs';
import { ExitCode, KontextError } from '../errors.js';

/** The settings that choose where outputs go: a recipe's `out:` and `save:`, an edit's `-o`. */
const PATH = '`out:`, `save:` or `-o` path';

const HINTS: ReadonlyMap<string, string> = new Map([
  ['EACCES', `no permission to write there: make the folder writable, or choose another ${PATH}`],
  ['EPERM', `the system refused the write: make the folder writable, or choose another ${PATH}`],
  ['EROFS', `the file system is read-only: choose an ${PATH} on a writable disk`],
  ['ENOSPC', 'the disk is full: free some space and run again'],
  ['EDQUOT', 'the disk quota is used up: free some space and run again'],
  ['ENOTDIR', `a part of the path is a file, not a folder: move it away or choose another ${PATH}`],
  ['EISDIR', `a folder is in the way of the output file: move it away or choose another ${PATH}`],
  ['ENAMETOOLONG', `the file name is too long for the file system: choose a shorter ${PATH}`],
]);

/** How a recipe's paid result that could not be written is got: its node keeps its seed (the lock). */
const KEPT = 'the result is kept in the cache, so the next run writes it without a new request';

/**
 * The typed error for a failed write of `path`, or `e` itself when it is not such a failure.
 * `paid`: how the paid result is got without a new request, in place of a recipe's "the next run
 * writes it" (a one-off edit's, RunDeps.paidHint: run again under another name, it draws a new
 * seed and pays again); a write the guard refused (`E_WRITE_REFUSED`) is told it too.
 */
export function outputWriteError(e: unknown, path: string, paid?: string): unknown {
  if (paid !== undefined && e instanceof KontextError && e.code === 'E_WRITE_REFUSED')
    return Object.assign(e, { hint: e.hint === undefined ? paid : `${e.hint}; ${paid}` });
  return typed(e, path, paid ?? KEPT);
}

/**
 * The same failure met before anything is paid for (output-folders.ts: the folders a run or an
 * edit writes into made and a file tried in each): nothing was submitted. Any ENOENT there is
 * the path's (a file system such as `/proc`).
 */
export function outputPathError(e: unknown, path: string): unknown {
  return typed(e, path, 'nothing was submitted', true);
}

/**
 * mkdir's ENOENT under a folder that exists (util/mkdir-p.ts): a file system that takes no new
 * folders there, such as `/proc`. Any other ENOENT (a cache blob gone) is not the path's fault.
 */
const NO_FOLDER_HERE = `no folder can be made there (a file system such as /proc): choose another ${PATH}`;
const NO_FILE_HERE = `no file can be made there (a file system such as /proc): choose another ${PATH}`;

/** mkdir's EEXIST: a file (not a folder) is at the folder's own path; it was thrown raw, exit 70. */
const FILE_WHERE_FOLDER = `a file is where this folder goes: move it away or choose another ${PATH}`;
/**
 * ... or a symlink leading to no folder (a broken one, or one to a file), named: it may be a folder
 * above the one the message names (review-ab 6 called it a file; review-ac 9).
 */
const linkWhereFolder = (at: string): string =>
  `${at} is a symlink to no folder, where a folder goes: remove it or choose another ${PATH}`;

function inTheWay(at: unknown): string {
  try {
    return typeof at === 'string' && lstatSync(at).isSymbolicLink() ? linkWhereFolder(at) : FILE_WHERE_FOLDER;
  } catch {
    return FILE_WHERE_FOLDER;
  }
}

/** mkdir's ENOENT is the path's; any other only where `anyEnoent` says so (before paying, nothing else read). */
function enoentHint(syscall: unknown, anyEnoent: boolean): string | undefined {
  if (syscall === 'mkdir') return NO_FOLDER_HERE;
  return anyEnoent ? NO_FILE_HERE : undefined;
}

function typed(e: unknown, path: string, after: string, anyEnoent = false): unknown {
  const { code, syscall, path: at } = (e ?? {}) as { code?: unknown; syscall?: unknown; path?: unknown };
  let hint = code === 'ENOENT' ? enoentHint(syscall, anyEnoent) : HINTS.get(String(code));
  if (code === 'EEXIST' && syscall === 'mkdir') hint = inTheWay(at);
  if (hint === undefined) return e;
  return new KontextError('E_OUTPUT_WRITE', `cannot write ${path} (${String(code)})`, {
    exitCode: ExitCode.CANT_CREAT,
    hint: `${hint}; ${after}`,
    cause: e,
  });
}
