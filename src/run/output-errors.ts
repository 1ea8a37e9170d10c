/**
 * Writing an output can fail for reasons a person fixes, not bugs: no permission, a read-only
 * or full disk, a file where a folder should be. Those become one typed error (exit 73, sysexits
 * CANTCREAT) naming the path; anything else is passed on unchanged.
 */
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
]);

/** The typed error for a failed write of `path`, or `e` itself when it is not such a failure. */
export function outputWriteError(e: unknown, path: string): unknown {
  return typed(e, path, 'the result is kept in the cache, so the next run writes it without a new request');
}

/** The same failure met before anything is paid for (an edit's `-o` path looked at): nothing was submitted. */
export function outputPathError(e: unknown, path: string): unknown {
  return typed(e, path, 'nothing was submitted');
}

/**
 * mkdir's ENOENT under a folder that exists (util/mkdir-p.ts): a file system that takes no new
 * folders there, such as `/proc`. Any other ENOENT (a cache blob gone) is not the path's fault.
 */
const NO_FOLDER_HERE = `no folder can be made there (a file system such as /proc): choose another ${PATH}`;

function typed(e: unknown, path: string, after: string): unknown {
  const { code, syscall } = (e ?? {}) as { code?: unknown; syscall?: unknown };
  const hint = code === 'ENOENT' && syscall === 'mkdir' ? NO_FOLDER_HERE : HINTS.get(String(code));
  if (hint === undefined) return e;
  return new KontextError('E_OUTPUT_WRITE', `cannot write ${path} (${String(code)})`, {
    exitCode: ExitCode.CANT_CREAT,
    hint: `${hint}; ${after}`,
    cause: e,
  });
}
