/**
 * One read of a fal.ai request for the shared poll loop. A read aimed at the expected finish asks
 * for the result straight away (a finished request then costs one request, not two); otherwise
 * the status: IN_QUEUE (with its position), IN_PROGRESS, COMPLETED — any other word means "still
 * working". A failed request is COMPLETED too: its failure comes with the result, as an HTTP
 * error — 422 `content_policy_violation` is a moderation, another 4xx a remote failure (a 400
 * too, once the status said COMPLETED, unless it says the request is still in progress), 499 a
 * cancellation. fal's JSON 404 naming the request (endpoints.ts) is an unknown request (a re-attach
 * then submits anew); any other 404 proves nothing. A result without an image URL is
 * `OutputMissingError` (paid for: kept, read again), not a failure; so is a COMPLETED request whose
 * result keeps answering fal's 5xx request error ({@link unreadableResult}), or its "unknown request".
 */
import type { ModelEntry } from '../../models/types.js';
import type { ReadOutcome } from '../polling/poll-loop.js';
import {
  InputRejectedError,
  OutputMissingError,
  RemoteCancelledError,
  RemoteFailedError,
  RequestGoneError,
  UpstreamUnavailableError,
} from '../runcomfy/errors.js';
import type { JsonObject } from '../wire/json-call.js';
import { detailText } from '../wire/map-status.js';
import { ModeratedError } from '../wire/moderated.js';
import { type FalUrls, getResult, getStatus, type ReadSpec } from './endpoints.js';

export interface FalDone {
  readonly outputUrls: string[];
  readonly seed?: number;
}

type Outcome = ReadOutcome<FalDone>;

export async function readFal(spec: ReadSpec, urls: FalUrls, entry: ModelEntry, aimed: boolean): Promise<Outcome> {
  if (aimed) {
    try {
      const early = await result(spec, urls, entry, false);
      if (early) return early;
    } catch (e) {
      // How fal answers a result read of an unfinished request is not documented: its "unknown
      // request" there proves nothing (a re-attach would pay again); the status read decides, and
      // says so itself when the request really is unknown; a request error (fal's 5xx with an
      // `error_type`) is read again once the status says COMPLETED.
      if (!(e instanceof RequestGoneError) && !isRequestError(e)) throw e;
    }
  }
  const { body } = await getStatus(spec, urls.status);
  const word = String(body['status'] ?? '').toUpperCase();
  if (word === 'IN_QUEUE') return { state: { phase: 'queued', position: position(body) } };
  if (word !== 'COMPLETED') return { state: { phase: 'running' } };
  return (await result(spec, urls, entry, true)) ?? { state: { phase: 'running' } };
}

const STILL_RUNNING =
  /progress|queue|pending|being processed|processing|running|not (yet )?(complete|finished|ready|done|available)/i;

/**
 * Whether a result read's 400 says the request is not finished yet. fal has not documented its
 * early-result reply (third-party code saw 400 "Request is still in progress"): a 400 that says
 * so (in any of the usual words: better a wait to the deadline than paying again), or any 400
 * before the status said COMPLETED, means "keep waiting"; after COMPLETED, any other 400 is the
 * request's own failure (fal reports failures as the result's 4xx or 5xx).
 */
function stillRunning(body: JsonObject, secrets: readonly string[]): boolean {
  return STILL_RUNNING.test(detailText(body, '', secrets) ?? '');
}

function position(body: JsonObject): number | undefined {
  const p = body['queue_position'];
  return typeof p === 'number' && Number.isFinite(p) && p >= 0 ? p : undefined;
}

/** The result when the request is over; `null` when fal says it is still in progress. */
async function result(spec: ReadSpec, urls: FalUrls, entry: ModelEntry, completed: boolean): Promise<Outcome | null> {
  let reply: { status: number; body: JsonObject };
  try {
    reply = await getResult(spec, urls.response);
  } catch (e) {
    if (completed && isRequestError(e)) throw unreadableResult(spec, e);
    // The status has just said COMPLETED: fal's "unknown request" now contradicts it (a glitch, not
    // proof: a re-attach would pay again). A result not readable yet: read again, kept.
    if (completed && e instanceof RequestGoneError) {
      const message = `fal.ai request ${spec.requestId} is COMPLETED, yet its result read answered that it is unknown`;
      throw new OutputMissingError(message, { requestId: spec.requestId, secrets: spec.api.secrets, cause: e });
    }
    throw asRemoteFailure(spec, e);
  }
  if (reply.status === 400 && completed && !stillRunning(reply.body, spec.api.secrets)) {
    const text = detailText(reply.body, '', spec.api.secrets) ?? 'no reason given';
    throw new RemoteFailedError(`fal.ai request ${spec.requestId} failed: HTTP 400: ${text}`, {
      requestId: spec.requestId,
      remoteError: reply.body['detail'] ?? null,
      secrets: spec.api.secrets,
    });
  }
  if (reply.status !== 200) return null;
  const read = entry.readResult(reply.body);
  if (read.outputUrls.length === 0) {
    const word = typeof reply.body['status'] === 'string' ? reply.body['status'].toUpperCase() : '';
    if (word === 'IN_QUEUE' || word === 'IN_PROGRESS') return null;
    throw new OutputMissingError(`fal.ai request ${spec.requestId} finished without an image URL`, {
      requestId: spec.requestId,
      secrets: spec.api.secrets,
    });
  }
  return { done: { outputUrls: [...read.outputUrls], ...(read.seed === undefined ? {} : { seed: read.seed }) } };
}

/**
 * A result read's 4xx in fal's JSON is the request's own failure (fal bills it), not a refusal of
 * our call. One that is not JSON (a proxy's page, an empty body) proves nothing: it stays an
 * `InputRejectedError`, so the request is kept in the journal rather than given up.
 */
function asRemoteFailure(spec: ReadSpec, e: unknown): unknown {
  if (e instanceof ModeratedError || !(e instanceof InputRejectedError) || e.status === 404 || !e.jsonReply) return e;
  const common = { requestId: spec.requestId, secrets: spec.api.secrets };
  if (e.status === 499) return new RemoteCancelledError(`fal.ai request ${spec.requestId} was cancelled`, common);
  return new RemoteFailedError(`fal.ai request ${spec.requestId} failed: ${e.message}`, { ...common, cause: e });
}

/** fal's JSON 5xx naming an `error_type`, after the read's retries (map-status.ts). */
function isRequestError(e: unknown): e is UpstreamUnavailableError {
  return e instanceof UpstreamUnavailableError && e.jsonReply && e.failureType !== undefined;
}

/**
 * A COMPLETED request whose result answers fal's 5xx request error after every retry. fal says a
 * 5xx is not charged, but an outage answering in the same shape cannot be told apart, and giving
 * the request up would let the next run pay again for a result that may exist. So it is a result
 * that cannot be read (`OutputMissingError`): read again a few times, then kept in the journal
 * with its outcome unknown (exit 75), which `--resubmit-uncertain` may submit anew — rather than
 * "fal unavailable" (exit 69) on every later run, with no way out.
 */
function unreadableResult(spec: ReadSpec, e: UpstreamUnavailableError): OutputMissingError {
  return new OutputMissingError(
    `fal.ai request ${spec.requestId} is COMPLETED, but its result answers ${e.message} (${e.failureType})`,
    { requestId: spec.requestId, secrets: spec.api.secrets, cause: e },
  );
}
