/**
 * Answers about a journaled request that do not settle it. The request may be paid for, so
 * none of them drops it from the journal or submits it again unasked:
 * - a result without a usable output URL is read again a few times within the run
 *   ({@link OUTPUT_REREAD_MS}); still without one, the node fails;
 * - a read refused with a 4xx that is not the service's own word that the request is unknown (a
 *   proxy's or load balancer's HTML 404, an empty body, a captive portal) proves nothing; a 404
 *   is read again after the same pauses.
 * Either way the node fails with `E_OUTCOME_UNKNOWN` (exit 75) and the next run re-attaches.
 * Only `RequestGoneError` (the service's documented "unknown request") or a cancellation lets a
 * re-attach submit anew; `--resubmit-uncertain` also lets an unknown outcome do so, and an output
 * its URL no longer gives ({@link isLostOutput}: gone, not an image, over the cap).
 */
import { ExitCode, KontextError } from '../errors.js';
import {
  DeadlineExceededError,
  DownloadFailedError,
  DownloadRefusedError,
  DownloadTooLargeError,
  InputRejectedError,
  OutputMissingError,
  RemoteCancelledError,
  RemoteFailedError,
  RequestGoneError,
} from '../providers/runcomfy/errors.js';
import { ErrorMarks } from './error-marks.js';
import type { UntimedRunEvent } from './events.js';
import type { ResolvedInput } from './inputs.js';

/** Pauses before each new read of a request that finished without a usable output URL. */
export const OUTPUT_REREAD_MS: readonly number[] = [2_000, 5_000, 10_000];

/** The code of {@link OutcomeUnknownError}. */
const OUTCOME_UNKNOWN_CODE = 'E_OUTCOME_UNKNOWN';

/** A journaled request whose outcome this run could not settle: kept for the next run. Exit 75. */
export class OutcomeUnknownError extends KontextError {
  override readonly name = 'OutcomeUnknownError';
  constructor(message: string, provider: string, cause: unknown) {
    super(OUTCOME_UNKNOWN_CODE, message, {
      exitCode: ExitCode.TEMP_FAIL,
      hint:
        'run again later: the next run re-attaches to the request (no new charge). If ' +
        `${provider} really lost it, run with --resubmit-uncertain to submit it again (it may be paid twice)`,
      cause,
    });
  }
}

export interface RereadOptions {
  /** The request as messages name it (`Provider.requestName`). */
  readonly requestId: string;
  /** Pauses before the reads after the first ({@link OUTPUT_REREAD_MS} by default). */
  readonly delaysMs: readonly number[];
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal;
  /**
   * Told before each new read: `stray` when the last was refused with a 404 that proves nothing
   * (the request may still run), else it finished without an output URL.
   */
  readonly onReread: (attempt: number, delayMs: number, stray: boolean) => void;
}

/**
 * `wait()` until it gives a usable output URL (first in the list), reading again after each
 * pause of `delaysMs` while the request comes back finished without one, or a read is refused
 * with a 404 that is not the service's word that the request is unknown (a proxy's, a load
 * balancer's hiccup: it proves nothing, and the next read may well answer).
 */
export async function waitForUsableOutput<T extends { readonly outputUrls: readonly string[] }>(
  wait: () => Promise<T>,
  o: RereadOptions,
): Promise<T & { readonly url: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const waited = await wait();
      const url = waited.outputUrls.find(usableUrl);
      if (url !== undefined) return { ...waited, url };
      throw new OutputMissingError(`request ${o.requestId} finished without a usable output URL`, {
        requestId: o.requestId,
      });
    } catch (e) {
      const delay = o.delaysMs[attempt];
      const stray = e instanceof InputRejectedError && e.status === 404;
      if (!(e instanceof OutputMissingError || stray) || delay === undefined) throw e;
      o.onReread(attempt + 1, delay, stray);
      await o.sleep(delay, o.signal);
    }
  }
}

function usableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Errors a node failed with while its request stayed in the journal, outcome unknown ({@link unsettled}). */
const keptErrors = new ErrorMarks<true>();

/**
 * Whether a node's failure left its paid request in the journal with its outcome unknown: an
 * {@link OutcomeUnknownError}, or any other error from waiting on it that did not end it (a
 * token revoked mid-run, exit 77; the network or the service down after retries; a deadline),
 * or from downloading and storing its result (an interrupt, a full cache: {@link keptAfterWait}).
 * The run summary lists these nodes as `outcome_unknown`: the next run re-attaches to them.
 */
export function requestKept(e: unknown, node: string): boolean {
  return e instanceof OutcomeUnknownError || keptErrors.get(e, node) === true;
}

/** Errors of paid requests left unsettled whose ids could not be journaled, with those ids. */
const unjournaled = new ErrorMarks<string>();

/**
 * `e`, of a paid request left unsettled ({@link requestKept}) whose id this run could not write
 * to the journal: the next run cannot re-attach to it, so the summary names the id apart.
 */
export function markNotJournaled(e: unknown, node: string, requestId: string): unknown {
  unjournaled.set(e, node, requestId);
  return e;
}

/** The request id of a failure {@link markNotJournaled} marked. */
export function notJournaledId(e: unknown, node: string): string | undefined {
  return unjournaled.get(e, node);
}

/**
 * `e`, from a step after the wait (the download, the blob, the record) that left the finished,
 * paid request journaled: the next run re-attaches to it (see {@link requestKept}).
 */
export function keptAfterWait(e: unknown, node: string): unknown {
  keptErrors.set(e, node, true);
  // Read again, a signed URL may be fresh; an output deleted (Replicate keeps them an hour) never is.
  if (isLostOutput(e)) Object.assign(e, { hint: `${e.hint ?? ''}${e.hint ? '; ' : ''}${LOST_OUTPUT_HINT}` });
  return e;
}

const LOST_OUTPUT_HINT =
  'the request is paid and stays in the journal: the next run reads it again (free); if its output is ' +
  'gone for good, run with --resubmit-uncertain to submit it again (paid twice)';

/**
 * A paid request's output that its URL does not give, for good as far as this run can tell: a 4xx
 * after retries (expired, deleted), a body that is no image, one over the download cap.
 */
export function isLostOutput(e: unknown): e is KontextError {
  if (e instanceof DownloadRefusedError) return e.notImage; // not a URL with the key, nor an encoding
  return e instanceof DownloadFailedError || e instanceof DownloadTooLargeError;
}

/**
 * The error a node fails with when a wait ended without settling its request (see the module
 * comment); `kept`: the request stays in the journal (not ended, not cancelled), see {@link requestKept}.
 */
export function unsettled(
  e: unknown,
  /** `requestId`: as messages name it (`Provider.requestName`). */
  at: { readonly node: string; readonly requestId: string; readonly provider: string },
  rereads: number,
  kept = false,
): unknown {
  const err = unsettledError(e, at.requestId, at.provider, rereads);
  if (kept) keptErrors.set(err, at.node, true);
  return err;
}

function unsettledError(e: unknown, requestId: string, provider: string, rereads: number): unknown {
  if (e instanceof OutputMissingError) {
    return new OutcomeUnknownError(
      `${e.message} (read ${rereads + 1} times): it is paid for, so it stays in the journal ` +
        'and the next run reads it again',
      provider,
      e,
    );
  }
  if (e instanceof InputRejectedError && e.status !== undefined) {
    return new OutcomeUnknownError(
      `reading request ${requestId}: ${e.message}. That is not ${provider}'s own word that the request is ` +
        'unknown (a proxy or load balancer may have answered): it may still run and be paid for, so it stays ' +
        'in the journal and is not submitted again',
      provider,
      e,
    );
  }
  return e;
}

/**
 * Whether a re-attach may give its request up and submit anew: the service said it does not
 * know it, or it was cancelled; or the run allows paying twice, and its outcome is unknown or its
 * output cannot be had ({@link isLostOutput}).
 */
export function mayResubmit(e: unknown, resubmitUncertain: boolean): boolean {
  if (e instanceof RequestGoneError || e instanceof RemoteCancelledError) return true;
  return resubmitUncertain && (e instanceof OutcomeUnknownError || isLostOutput(e));
}

/** The request ended failed or cancelled: nothing left to re-attach to (errors are never kept). */
export function isTerminalFailure(e: unknown): boolean {
  return e instanceof RemoteFailedError || e instanceof RemoteCancelledError || cancelledAtDeadline(e);
}

/** The wait's deadline passed and the API confirmed the cancel it sent then (the request was still queued). */
export function cancelledAtDeadline(e: unknown): boolean {
  return e instanceof DeadlineExceededError && e.cancelOutcome === 'cancelled';
}

/** The remote run failed because the service could not fetch `image_url`. */
export function isImageFetchFailure(e: unknown): e is RemoteFailedError {
  return e instanceof RemoteFailedError && e.inputFetchFailed;
}

/** The fetch failed again after re-hosting: the hint says to check the hosting, not the prompt or the image. */
export function stillNotFetched(e: RemoteFailedError): RemoteFailedError {
  const hint =
    'the API could not fetch the input image even hosted again: check that your hosting serves what it ' +
    'uploads to the internet (the bucket and its URLs or public_base_url, the hosting command’s URLs)';
  const { remoteError, requestId, status, errorCode } = e;
  return new RemoteFailedError(e.message, { code: e.code, remoteError, requestId, status, errorCode, hint, cause: e });
}

/**
 * A request that failed because the API could not fetch its input: the URL it was sent, when that
 * URL expired (`null`: never, or not known), and the failure.
 */
export interface FetchFailed {
  readonly url: string;
  /** How that URL was made (an S3 upload, a record of one, a provider's output URL...). */
  readonly via: ResolvedInput['via'];
  readonly expiresAt: number | null;
  readonly error: RemoteFailedError;
}

/** A URL this close to its expiry when its fetch failed may have expired in the provider's queue. */
const EXPIRY_SLACK_MS = 5 * 60_000;

/**
 * Whether an input hosted again after the API could not fetch `failed.url` may fetch where that did
 * not. An S3 URL that failed, hosted on S3 again: only when its object was really uploaded again
 * (its HEAD found it gone), or when the failed URL had expired, or nearly, by `now`: a URL signed
 * anew for an object that is there and a URL still valid would fail alike, whatever the second it
 * was signed in (review-v). Otherwise (a provider's output URL now hosted on S3, a command's URL):
 * another URL (a command that prints the same one again gives nothing new: what it did is not known).
 */
export function hostedAnew(
  input: ResolvedInput,
  failed: Pick<FetchFailed, 'url' | 'via' | 'expiresAt'>,
  now: number,
): boolean {
  // `cache` is a record of this same hosting: S3's, when S3 hosts it again.
  if (input.via === 's3' && (failed.via === 's3' || failed.via === 'cache'))
    return input.uploadedBytes > 0 || (failed.expiresAt !== null && now >= failed.expiresAt - EXPIRY_SLACK_MS);
  return input.url !== failed.url;
}

/** Hosting gave the very URL the API could not fetch: not sent again, the first failure's message. */
export function sameUrlAgain(e: RemoteFailedError): RemoteFailedError {
  const hint =
    'the API could not fetch the input image, and hosting it again gave nothing new (the same URL, or the ' +
    'same S3 object, there and not expired; not sent again): ' +
    'check that your hosting serves what it uploads to the internet (the bucket and its URLs or ' +
    'public_base_url, the hosting command’s URLs)';
  const { remoteError, requestId, status, errorCode } = e;
  return new RemoteFailedError(e.message, { code: e.code, remoteError, requestId, status, errorCode, hint, cause: e });
}

/** A provider that reports the seed it used (BFL, fal) reported another than the one sent. */
export function seedMismatch(node: string, sent: number, used: number): UntimedRunEvent {
  const message = `the provider reports seed ${used}, not the ${sent} sent; the lock keeps ${sent}`;
  return { type: 'warning', node, message };
}
