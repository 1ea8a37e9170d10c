/**
 * Hosting errors: one class, stable `E_HOSTING_*` codes, each mapped once to an exit code.
 * Messages never carry secrets: callers pass URLs through `redactUrl` and scrub upstream text.
 */
import { ExitCode, KontextError, type SourceLocation } from '../errors.js';

/** Why hosting failed, and so what a person should do about it. */
const HOSTING_EXIT_CODES = {
  /** The `hosting:` block is wrong (missing bucket, bad URL, bad TTL). */
  E_HOSTING_CONFIG: ExitCode.DATA_ERR,
  /** A path outside the project root and the cache dir, or not a regular file. */
  E_HOSTING_INPUT_REFUSED: ExitCode.DATA_ERR,
  /** The file to host does not exist. */
  E_HOSTING_INPUT_MISSING: ExitCode.NO_INPUT,
  /** The file's bytes no longer match the sha256 the runner computed (edited mid-run). */
  E_HOSTING_INPUT_CHANGED: ExitCode.TEMP_FAIL,
  /** No AWS credentials could be found. */
  E_HOSTING_CREDENTIALS: ExitCode.NO_PERM,
  /** Credentials were rejected, or lack permission on the bucket. */
  E_HOSTING_DENIED: ExitCode.NO_PERM,
  /** The bucket does not exist, or lives in another region. */
  E_HOSTING_BUCKET: ExitCode.DATA_ERR,
  /** The storage service is unreachable or failing (5xx, connection errors). */
  E_HOSTING_UNAVAILABLE: ExitCode.UNAVAILABLE,
  /** Throttled or timed out: likely to pass on a later try. */
  E_HOSTING_TIMEOUT: ExitCode.TEMP_FAIL,
  /** The upload command exited non-zero. */
  E_HOSTING_COMMAND_FAILED: ExitCode.UNAVAILABLE,
  /** The upload command (or its program) could not be started. */
  E_HOSTING_COMMAND_NOT_FOUND: ExitCode.DATA_ERR,
  /** The upload command ran past `timeout_seconds` and was killed. */
  E_HOSTING_COMMAND_TIMEOUT: ExitCode.TEMP_FAIL,
  /** The upload command's last stdout line is not an http(s) URL. */
  E_HOSTING_COMMAND_OUTPUT: ExitCode.DATA_ERR,
  /** The upload command printed a loopback or private-network URL, which a public API cannot fetch. */
  E_HOSTING_PRIVATE_URL: ExitCode.DATA_ERR,
  /** A recipe's own hosting command, not trusted by the user (flag or user config): not run. */
  E_HOSTING_COMMAND_UNTRUSTED: ExitCode.NO_PERM,
  /** A recipe's own S3 destination (bucket, endpoint, public base URL), not trusted by the user: nothing uploaded. */
  E_HOSTING_UNTRUSTED: ExitCode.NO_PERM,
  /** The private copy an upload reads (snapshot.ts) cannot be made: the temp folder is missing, full or read-only. */
  E_HOSTING_TEMP: ExitCode.CANT_CREAT,
} as const satisfies Record<string, ExitCode>;

export type HostingErrorCode = keyof typeof HOSTING_EXIT_CODES;

/** Any failure to make an image reachable by URL. */
export class HostingError extends KontextError {
  override readonly name = 'HostingError';
  override readonly code: HostingErrorCode;

  constructor(
    code: HostingErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown; location?: SourceLocation | undefined } = {},
  ) {
    super(code, message, { ...options, exitCode: HOSTING_EXIT_CODES[code] });
    this.code = code;
  }
}
