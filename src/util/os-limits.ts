/**
 * A system error that is a limit a person changes, not a defect: out of file descriptors (after
 * the store's retries: fd-limit.ts), exit 75, raise `ulimit -n` or lower `-j`; a path or name
 * longer than the file system takes (ENAMETOOLONG: a long `--cache-dir`, recipe or folder name),
 * exit 73. Node's message names the path. Where no typed error was made, a node's failure
 * (run/outcome.ts) and the CLI's last word (cli/render-error.ts) say these instead of exit 70.
 */
import { ExitCode } from '../errors.js';
import { isCode } from './errno.js';
import { FD_LIMIT_HINT, isFdLimit } from './fd-limit.js';

export interface OsLimit {
  readonly code: 'E_FD_LIMIT' | 'E_NAME_TOO_LONG';
  readonly exitCode: typeof ExitCode.TEMP_FAIL | typeof ExitCode.CANT_CREAT;
  readonly hint: string;
}

/** The limit `e` ran into, if it is one of these. */
export function osLimitOf(e: unknown): OsLimit | undefined {
  if (isFdLimit(e)) return { code: 'E_FD_LIMIT', exitCode: ExitCode.TEMP_FAIL, hint: FD_LIMIT_HINT };
  if (isCode(e, 'ENAMETOOLONG'))
    return {
      code: 'E_NAME_TOO_LONG',
      exitCode: ExitCode.CANT_CREAT,
      hint: 'the path is too long for the file system: use a shorter --cache-dir, file or folder name',
    };
  return undefined;
}
