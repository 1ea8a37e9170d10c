/**
 * A file kontext must read but may not (no permission: a file another user owns, or made
 * unreadable) becomes one typed error naming it: exit 66 (sysexits NOINPUT: an input file that
 * does not exist or cannot be read), not an internal error with a stack, nor "not an image".
 * Anything else is passed on unchanged.
 */
import { ExitCode, KontextError } from '../errors.js';

/** Whether `e` is a read refused for lack of permission. */
export function isUnreadable(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * The refused read (its EACCES or EPERM error) that `e` is, or that {@link readFailure} made `e`
 * of; null for anything else. For the cache's own files, which such a read makes a miss.
 */
export function refusedRead(e: unknown): unknown {
  if (isUnreadable(e)) return e;
  return e instanceof KontextError && e.code === 'E_READ_FAILED' && isUnreadable(e.cause) ? e.cause : null;
}

/** The typed error for a refused read of `path` (`what`: "lock file", "output"…), or `e` itself. */
export function readFailure(e: unknown, path: string, what: string): unknown {
  if (!isUnreadable(e)) return e;
  const code = (e as { code: string }).code;
  return new KontextError('E_READ_FAILED', `cannot read ${what} ${path} (${code}: no permission)`, {
    exitCode: ExitCode.NO_INPUT,
    hint: 'make it readable by this user (chmod, or chown to its owner), or run kontext as the user who owns it',
    cause: e,
  });
}
