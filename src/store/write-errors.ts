/**
 * A cache, lock or mutex write that failed for a reason a person fixes (a full disk, no
 * permission, a read-only file system, a name too long) becomes one typed error naming the file: exit 73
 * (sysexits CANTCREAT), as an out/ write's does (run/output-errors.ts). Node's own message for a
 * failed write names no path ("ENOSPC: no space left on device, write"). Anything else is passed
 * on unchanged.
 */
import { ExitCode } from '../errors.js';
import { StoreError } from './errors.js';

const WHY: ReadonlyMap<string, string> = new Map([
  ['ENOSPC', 'the disk is full: free some space'],
  ['EDQUOT', 'the disk quota is used up: free some space'],
  ['EROFS', 'the file system is read-only: make it writable'],
  ['EACCES', 'no permission to write there: make the folder writable'],
  ['EPERM', 'the system refused the write: make the folder writable'],
  ['ENAMETOOLONG', 'the name is too long for the file system: use a shorter file or folder name'],
]);

/** The typed error for a failed write of `path`, or `e` itself; `then` says what is kept and what to do next. */
export function writeFailure(e: unknown, path: string, then: string): unknown {
  // One already made for a file that serves `path` (its mutex): said again of `path` itself.
  const raw = e instanceof StoreError && e.code === 'E_WRITE_FAILED' ? e.cause : e;
  const code = (raw as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? WHY.get(code) : undefined;
  if (why === undefined) return e;
  return new StoreError('E_WRITE_FAILED', `cannot write ${path} (${code as string})`, {
    exitCode: ExitCode.CANT_CREAT,
    hint: `${why}; ${then}`,
    cause: raw,
  });
}
