/**
 * Typed errors of the RunComfy client. Each has a stable `code`, the exit code it maps to
 * (docs/architecture.md#the-runcomfy-api, docs/architecture.md#exit-codes) and a hint.
 * Messages are scrubbed of the token and of URL query strings (presigned signatures) at
 * construction, so no caller can leak them by accident.
 */
import { ExitCode, KontextError } from '../../errors.js';
import { FD_LIMIT_HINT, isFdLimit } from '../../util/fd-limit.js';
import { isProxyAuthRefusal } from '../../util/proxy.js';
import { redactSecrets, redactUrlsIn } from '../../util/redact.js';

export interface ProviderErrorOptions {
  readonly exitCode?: ExitCode;
  readonly hint?: string | undefined;
  readonly cause?: unknown;
  /** HTTP status of the reply that caused it, when there was one. */
  readonly status?: number | undefined;
  /** The API's numeric `error_code` (e.g. 400004), when given. */
  readonly errorCode?: number | undefined;
  /**
   * The error reply's body was a JSON object in a reply labelled JSON: the service's own words,
   * not a page or an empty body that a proxy in front may have sent.
   */
  readonly jsonReply?: boolean | undefined;
  readonly requestId?: string | undefined;
  /** Values scrubbed from message, hint and cause chain (the token). */
  readonly secrets?: readonly string[] | undefined;
}

/** Scrub secrets and URL query strings from free text. */
function scrub(text: string, secrets: readonly string[] = []): string {
  return redactUrlsIn(redactSecrets(text, secrets));
}

/** Keep a cause chain only if none of it mentions a secret; otherwise a scrubbed stand-in. */
export function scrubCause(cause: unknown, secrets: readonly string[] = []): unknown {
  if (secrets.length === 0 || cause === undefined) return cause;
  const leaks = (c: unknown, depth: number): boolean => {
    if (depth > 8 || c === undefined || c === null) return false;
    const text = c instanceof Error ? `${c.message} ${c.stack ?? ''}` : String(c);
    if (redactSecrets(text, secrets) !== text) return true;
    return c instanceof Error ? leaks(c.cause, depth + 1) : false;
  };
  if (!leaks(cause, 0)) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new Error(scrub(message, secrets));
}

/** Base of every error the RunComfy client throws on purpose. */
export class ProviderError extends KontextError {
  override readonly name: string = 'ProviderError';
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly requestId: string | undefined;
  readonly jsonReply: boolean;

  constructor(code: string, message: string, options: ProviderErrorOptions = {}) {
    const secrets = options.secrets ?? [];
    super(code, scrub(message, secrets), {
      exitCode: options.exitCode ?? ExitCode.SOFTWARE,
      ...(options.hint === undefined ? {} : { hint: scrub(options.hint, secrets) }),
      ...(options.cause === undefined ? {} : { cause: scrubCause(options.cause, secrets) }),
    });
    this.status = options.status;
    this.errorCode = options.errorCode;
    this.requestId = options.requestId;
    this.jsonReply = options.jsonReply === true;
  }
}

type Opts = Omit<ProviderErrorOptions, 'exitCode'>;

const AUTH_HINT = 'set RUNCOMFY_TOKEN or run `runcomfy login`';

/** Not signed in, or the token was rejected (401/403, error_code 400004/403001). Exit 77. */
export class AuthError extends ProviderError {
  override readonly name = 'AuthError';
  constructor(message: string, options: Opts = {}) {
    super('E_AUTH', message, { hint: AUTH_HINT, ...options, exitCode: ExitCode.NO_PERM });
  }
}

/** The API rejected the input (400/404/422/other 4xx). Exit 65. */
export class InputRejectedError extends ProviderError {
  override readonly name = 'InputRejectedError';
  constructor(message: string, options: Opts = {}) {
    super('E_INPUT_REJECTED', message, {
      hint: 'the API rejected the request; check the pass fields (prompt, image, seed, aspect_ratio, params)',
      ...options,
      exitCode: ExitCode.DATA_ERR,
    });
  }
}

/** The account balance is exhausted (error_code 400002). Exit 65: retrying will not help. */
export class BalanceExhaustedError extends ProviderError {
  override readonly name = 'BalanceExhaustedError';
  constructor(message: string, options: Opts = {}) {
    super('E_BALANCE_EXHAUSTED', message, {
      hint: 'top up your RunComfy balance, then run again (finished passes are cached)',
      ...options,
      exitCode: ExitCode.DATA_ERR,
    });
  }
}

/** Still rate limited (429) or timed out (408) after retries. Exit 75. */
export class RateLimitedError extends ProviderError {
  override readonly name = 'RateLimitedError';
  constructor(message: string, options: Opts = {}) {
    super('E_RATE_LIMITED', message, {
      hint: 'the API is busy; run again later or lower the concurrency (-j)',
      ...options,
      exitCode: ExitCode.TEMP_FAIL,
    });
  }
}

/** 5xx or connection failures after retries. Exit 69. */
export class UpstreamUnavailableError extends ProviderError {
  override readonly name = 'UpstreamUnavailableError';
  /** fal's `error_type` of a JSON 5xx (e.g. `runner_server_error`): the request's own failure kind. */
  readonly failureType: string | undefined;
  constructor(message: string, options: Opts & { readonly failureType?: string | undefined } = {}) {
    super('E_UPSTREAM_UNAVAILABLE', message, {
      hint: 'RunComfy is not reachable or failing; run again later',
      ...options,
      exitCode: ExitCode.UNAVAILABLE,
    });
    this.failureType = options.failureType;
  }
}

/**
 * A network failure (refused, reset, DNS, timeouts) after retries. Exit 75 for timeouts, else 69;
 * no file descriptor for the socket (EMFILE, ENFILE) is `E_FD_LIMIT`, exit 75, as a file's.
 */
/** A network failure's exit code: a proxy refusing our credentials (407) is one refused (77), as an API's 401. */
function networkExit(netCode: string | undefined, temporary: boolean): ExitCode {
  if (isProxyAuthRefusal(netCode)) return ExitCode.NO_PERM;
  return temporary ? ExitCode.TEMP_FAIL : ExitCode.UNAVAILABLE;
}

export class NetworkError extends ProviderError {
  override readonly name = 'NetworkError';
  /** The low-level code, e.g. `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`. */
  readonly netCode: string | undefined;
  constructor(
    message: string,
    options: Opts & { readonly netCode?: string | undefined; readonly timeout?: boolean } = {},
  ) {
    // No file descriptor for the socket (EMFILE, ENFILE): this machine's limit, not the network.
    const fdLimit = isFdLimit({ code: options.netCode });
    super(fdLimit ? 'E_FD_LIMIT' : 'E_NETWORK', message, {
      hint: options.timeout
        ? 'the API did not answer in time; run again later'
        : 'check your network connection, or run again later',
      ...options,
      ...(fdLimit && { hint: FD_LIMIT_HINT }),
      exitCode: networkExit(options.netCode, options.timeout === true || fdLimit),
    });
    this.netCode = options.netCode;
  }
}

/** A reply we could not read (not JSON, or missing required fields) after retries. Exit 69. */
export class MalformedResponseError extends ProviderError {
  override readonly name = 'MalformedResponseError';
  constructor(message: string, options: Opts = {}) {
    super('E_MALFORMED_RESPONSE', message, {
      hint: 'the API answered something unexpected; run again later',
      ...options,
      exitCode: ExitCode.UNAVAILABLE,
    });
  }
}

/**
 * A submit whose outcome is unknown: the body was sent and then the connection broke, the reply
 * was unreadable, or it was a 5xx the provider does not document as a refusal
 * ({@link submitMaybeAccepted}). It is never retried (that could pay twice). Exit 69.
 */
export class SubmitUncertainError extends ProviderError {
  override readonly name = 'SubmitUncertainError';
  constructor(message: string, options: Opts = {}) {
    super('E_SUBMIT_UNCERTAIN', message, {
      hint: 'the request may have been submitted (and billed); check your RunComfy dashboard before running again',
      ...options,
      exitCode: ExitCode.UNAVAILABLE,
    });
  }
}

/**
 * A submit answered with a server error (5xx) that its provider does not document as a refusal:
 * the request reached the API, which may have accepted it before failing to answer (a gateway's
 * timeout, an overloaded front). Never sent again; the run keeps its intent as "maybe paid".
 */
export function submitMaybeAccepted(error: ProviderError, options: Opts = {}): SubmitUncertainError {
  return new SubmitUncertainError(`${error.message}; the request may have been accepted, so it is not sent again`, {
    status: error.status,
    errorCode: error.errorCode,
    requestId: error.requestId,
    cause: error,
    ...options,
  });
}

/** The remote request ended `failed` (model error, moderation). Exit 1. */
export class RemoteFailedError extends ProviderError {
  override readonly name: string = 'RemoteFailedError';
  /** The remote `error` value as sent (any JSON). */
  readonly remoteError: unknown;
  /** The service could not fetch the input image (an expired URL, a hosting hiccup): hosting it again may help. */
  readonly inputFetchFailed: boolean;
  constructor(message: string, options: Opts & { readonly remoteError?: unknown; readonly code?: string } = {}) {
    super(options.code ?? 'E_REMOTE_FAILED', message, {
      hint: 'the model refused or failed on this input; change the prompt or the image',
      ...options,
      exitCode: ExitCode.REMOTE_FAILED,
    });
    this.remoteError = options.remoteError;
    this.inputFetchFailed = saysInputFetchFailed(options.remoteError, message);
  }
}

/** The service reports its failure as free text or any JSON: this reads the input-fetch failure out of it. */
function saysInputFetchFailed(remoteError: unknown, message: string): boolean {
  const text = JSON.stringify(remoteError ?? '') + message;
  return /image_fetch_failed|could not (fetch|download)|fetch(ing)? (the )?image/i.test(text);
}

/** The remote request was cancelled by someone else (not by this client's deadline). Exit 1. */
export class RemoteCancelledError extends ProviderError {
  override readonly name = 'RemoteCancelledError';
  constructor(message: string, options: Opts = {}) {
    super('E_REMOTE_CANCELLED', message, {
      hint: 'run again to resubmit',
      ...options,
      exitCode: ExitCode.REMOTE_FAILED,
    });
  }
}

/**
 * The service says, in its own documented shape, that it does not know the request (an unknown
 * or expired id: RunComfy's `error_code` 404001, BFL's `Task not found`, …) — as opposed to a
 * bare 404 that a proxy or load balancer may have sent (an `InputRejectedError` with status 404,
 * which proves nothing). Only this lets a re-attach submit anew (src/run/remote-outcome.ts
 * `mayResubmit`). Exit 75.
 */
export class RequestGoneError extends ProviderError {
  override readonly name = 'RequestGoneError';
  constructor(message: string, options: Opts = {}) {
    super('E_REQUEST_GONE', message, {
      hint:
        'the service no longer knows this request (unknown or expired id); the next run asks once more and, ' +
        "if it is still unknown, submits it anew (an interrupted --reseed keeps the lock's result instead)",
      ...options,
      status: options.status ?? 404,
      exitCode: ExitCode.TEMP_FAIL,
    });
  }
}

/**
 * The request finished (it is paid for) but the reply names no usable output URL. It may be a
 * glitch of the service: the request stays journaled and is read again (src/run/remote-outcome.ts).
 * Exit 75.
 */
export class OutputMissingError extends ProviderError {
  override readonly name = 'OutputMissingError';
  constructor(message: string, options: Opts = {}) {
    super('E_OUTPUT_MISSING', message, {
      hint: 'the request finished but its output URL is missing; run again later to read it again',
      ...options,
      exitCode: ExitCode.TEMP_FAIL,
    });
  }
}

/** The overall deadline passed; the request was cancelled if it still could be. Exit 75. */
export class DeadlineExceededError extends ProviderError {
  override readonly name = 'DeadlineExceededError';
  /** What the cancel call answered (`cancelled`, `not_cancellable`) or `failed`. */
  readonly cancelOutcome: 'cancelled' | 'not_cancellable' | 'failed';
  constructor(message: string, options: Opts & { readonly cancelOutcome: 'cancelled' | 'not_cancellable' | 'failed' }) {
    super('E_TIMEOUT', message, {
      hint: 'the request took longer than the deadline; raise it or run again later',
      ...options,
      exitCode: ExitCode.TEMP_FAIL,
    });
    this.cancelOutcome = options.cancelOutcome;
  }
}

/**
 * The provider handed us an output URL on a host we do not download from. Exit 65: it will
 * not pass on a retry, and a person must decide whether to trust that host.
 */
export class DownloadHostRefusedError extends ProviderError {
  override readonly name = 'DownloadHostRefusedError';
  readonly host: string;
  constructor(host: string, message: string, options: Opts = {}) {
    super('E_DOWNLOAD_HOST_REFUSED', message, {
      hint:
        'outputs are only downloaded from *.runcomfy.net / *.runcomfy.com; ' +
        `if you trust "${host}", add it to KONTEXT_ALLOW_HOSTS`,
      ...options,
      exitCode: ExitCode.DATA_ERR,
    });
    this.host = host;
  }
}

/** An output larger than the download cap (by Content-Length or by counting). Exit 65. */
export class DownloadTooLargeError extends ProviderError {
  override readonly name = 'DownloadTooLargeError';
  constructor(message: string, options: Opts = {}) {
    super('E_DOWNLOAD_TOO_LARGE', message, {
      hint: 'the output exceeds the download cap (maxDownloadBytes, default 2 GiB)',
      ...options,
      exitCode: ExitCode.DATA_ERR,
    });
  }
}

/**
 * A download that failed for good: truncated after retries, too many redirects, or a 4xx on
 * the output URL (it may have expired). Exit 69.
 */
export class DownloadFailedError extends ProviderError {
  override readonly name = 'DownloadFailedError';
  constructor(message: string, options: Opts = {}) {
    super('E_DOWNLOAD_FAILED', message, {
      hint: 'output URLs expire; run again to fetch it while it is fresh',
      ...options,
      exitCode: ExitCode.UNAVAILABLE,
    });
  }
}

/**
 * The output URL answered with something that is not the image we were promised: an HTML page
 * or other non-image bytes with a 200, or a Content-Encoding (gzip...) we did not ask for.
 * Nothing is stored. Exit 65: the same URL will answer the same way, so a retry cannot help.
 */
export class DownloadRefusedError extends ProviderError {
  override readonly name = 'DownloadRefusedError';
  /** The body was no image (not a URL carrying the key, nor an encoding we did not ask for). */
  readonly notImage: boolean;
  constructor(message: string, options: Opts = {}, notImage = false) {
    super('E_DOWNLOAD_REFUSED', message, {
      hint:
        'the output URL did not serve an image; nothing was stored or cached. ' +
        'Check the provider (or a proxy in between)',
      ...options,
      exitCode: ExitCode.DATA_ERR,
    });
    this.notImage = notImage;
  }
}

/**
 * A download that was too slow: under the minimum throughput for a whole window (retried on a
 * new connection), or past its overall deadline (not retried). Exit 75: it may pass later.
 */
export class DownloadTimeoutError extends ProviderError {
  override readonly name = 'DownloadTimeoutError';
  /** `stalled`: the throughput rule; `deadline`: the overall per-download deadline. */
  readonly reason: 'stalled' | 'deadline';
  constructor(message: string, options: Opts & { readonly reason: 'stalled' | 'deadline' }) {
    super('E_DOWNLOAD_TIMEOUT', message, {
      hint:
        'the output arrived too slowly; run again later (limits: KONTEXT_DOWNLOAD_DEADLINE_MS, ' +
        'KONTEXT_DOWNLOAD_MIN_BYTES per KONTEXT_DOWNLOAD_WINDOW_MS)',
      ...options,
      exitCode: ExitCode.TEMP_FAIL,
    });
    this.reason = options.reason;
  }
}
