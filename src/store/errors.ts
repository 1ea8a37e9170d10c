/**
 * Errors the store throws on purpose. A bad *cache* entry never throws (it reads as a miss);
 * these are for things a person must look at: a corrupt lock file, a lock held too long,
 * a value that cannot be keyed, a cache dir we cannot use.
 */
import { ExitCode, KontextError, type KontextErrorOptions, type SourceLocation } from '../errors.js';

/** The store was misused or its folder is unusable (exit 70 unless said otherwise). */
export class StoreError extends KontextError {
  override readonly name: string = 'StoreError';
  constructor(code: string, message: string, options: KontextErrorOptions = {}) {
    super(code, message, options);
  }
}

/** `<recipe>.lock.json` cannot be parsed or does not match its shape (exit 65). Never overwritten. */
export class LockFileError extends StoreError {
  override readonly name = 'LockFileError';
  constructor(message: string, options: { hint?: string; location?: SourceLocation; cause?: unknown } = {}) {
    super('E_LOCK_INVALID', message, { ...options, exitCode: ExitCode.DATA_ERR });
  }
}

/** Another process held the lock file's `.lck` longer than we were willing to wait (exit 75). */
export class LockBusyError extends StoreError {
  override readonly name = 'LockBusyError';
  constructor(message: string, options: { hint?: string } = {}) {
    super('E_LOCK_BUSY', message, { ...options, exitCode: ExitCode.TEMP_FAIL });
  }
}

/** A value cannot be turned into canonical JSON (NaN, undefined in an array, a cycle...): exit 65. */
export class CanonicalJsonError extends StoreError {
  override readonly name = 'CanonicalJsonError';
  /** Where in the value, e.g. `params.mask[2]`. */
  readonly path: string;
  constructor(path: string, reason: string) {
    super('E_NOT_CANONICAL', `${path}: ${reason}`, {
      exitCode: ExitCode.DATA_ERR,
      hint: 'cache keys accept JSON values only: finite numbers, strings, booleans, null, arrays and plain objects',
    });
    this.path = path;
  }
}
