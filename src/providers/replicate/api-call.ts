/**
 * One call to Replicate's API with the retry rules of docs/architecture.md#the-replicate-api:
 * reads and cancels retry on 408/429/5xx, network errors and unreadable replies; a create retries
 * only when Replicate clearly refused it (429 — its official client retries a POST on nothing
 * else, a 503 included — or no connection was ever made), because anything else may have started
 * a prediction that is billed: a create's 5xx is "maybe accepted" (`SubmitUncertainError`).
 * `Retry-After` is honoured (bounded by the retry policy).
 */
import type { Dispatcher } from 'undici';
import type { Runtime } from '../../runtime.js';
import type { RetryNotice } from '../types.js';
import {
  MalformedResponseError,
  NetworkError,
  RequestGoneError,
  SubmitUncertainError,
  submitMaybeAccepted,
} from '../runcomfy/errors.js';
import { isNotSentCode, networkCodeOf } from '../runcomfy/net-errors.js';
import { codedFailure } from '../runcomfy/net-failure.js';
import { requestNow, StoppedUnsent } from '../../util/http-request.js';
import { mayHaveSent, viaProxy } from '../../util/proxy-dispatcher.js';
import { parseRetryAfter, type RetryPolicy } from '../runcomfy/retry.js';
import { stoppedDuring, bothListeners, withRetries, type AttemptOutcome } from '../runcomfy/retry-loop.js';
import { isJsonReply, parseReplyJson, type ReplyText, readReplyText, unreadableReply } from '../runcomfy/transport.js';
import { classifyReplicate, replicateErrorFrom } from './map-error.js';

export interface ReplicateApi {
  /** Origin (and any path prefix) without `/v1`. */
  readonly baseUrl: string;
  readonly token: string;
  readonly dispatcher: Dispatcher;
  readonly rt: Runtime;
  readonly retry: RetryPolicy;
  /** The request's overall deadline: a create's waits for a refusal's `Retry-After` end within it. */
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export interface ReplicateCall {
  readonly call: string;
  readonly method: 'GET' | 'POST';
  /** Below the base, starting with `/v1/`. */
  readonly path: string;
  readonly body?: unknown;
  /** A create: retried only when refused. */
  readonly submit?: boolean;
  /** Extra request headers (`Prefer: wait=N`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly requestId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** A create's Ctrl-C: ends it between attempts (see `Provider.submit`). */
  readonly stop?: AbortSignal | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export type JsonObject = Readonly<Record<string, unknown>>;

const REFUSED = new Set([429]);

export function callReplicate(api: ReplicateApi, spec: ReplicateCall): Promise<JsonObject> {
  const loop = {
    rt: api.rt,
    policy: api.retry,
    signal: spec.signal,
    stop: spec.stop,
    submit: spec.submit,
    deadlineMs: api.deadlineMs,
    onRetry: bothListeners(api.onRetry, spec.onRetry),
  };
  return withRetries(spec.call, loop, () => attempt(api, spec));
}

async function attempt(api: ReplicateApi, spec: ReplicateCall): Promise<AttemptOutcome<JsonObject>> {
  let status: number;
  let headers: Dispatcher.ResponseData['headers'];
  let reply: ReplyText;
  const started = performance.now();
  try {
    const res = await requestNow(
      `${api.baseUrl}${spec.path}`,
      {
        dispatcher: api.dispatcher,
        method: spec.method,
        headers: {
          authorization: `Bearer ${api.token}`,
          accept: 'application/json',
          ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...spec.headers,
        },
        ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body) }),
      },
      { signal: spec.signal, unsent: spec.stop },
    );
    status = res.statusCode;
    headers = res.headers;
    reply = await readReplyText(api.dispatcher, res.body);
  } catch (e) {
    if (e instanceof StoppedUnsent) throw stoppedDuring(e.signal, spec.submit, false);
    if (spec.signal?.aborted)
      throw stoppedDuring(spec.signal, spec.submit, mayHaveSent(api.dispatcher, `${api.baseUrl}${spec.path}`, started));
    return networkFailure(api, spec, e);
  }
  return readReply(api, spec, status, headers, reply);
}

function networkFailure(api: ReplicateApi, spec: ReplicateCall, e: unknown): AttemptOutcome<JsonObject> {
  const code = networkCodeOf(e);
  const url = `${api.baseUrl}${spec.path}`;
  const common = { cause: e, requestId: spec.requestId, secrets: [api.token] };
  if (code === undefined) {
    const msg = e instanceof Error ? e.message : String(e);
    const error = new NetworkError(`${spec.call}: request failed: ${msg}${viaProxy(api.dispatcher, url)}`, common);
    return { ok: false, retryable: false, reason: 'error', error };
  }
  if (spec.submit && !isNotSentCode(code)) {
    const error = new SubmitUncertainError(
      `submit: the connection failed after the request was sent (${code}); a prediction may have been created`,
      { ...common, hint: UNCERTAIN_HINT },
    );
    return { ok: false, retryable: false, reason: code, error };
  }
  const failure = codedFailure(code, api.dispatcher, url);
  const error = new NetworkError(`${spec.call}: ${failure.text}`, { ...common, ...failure.options });
  return { ok: false, retryable: failure.retryable, reason: code, error };
}

/** The hint of every "maybe created" create (the default one names RunComfy's dashboard). */
export const UNCERTAIN_HINT =
  'a prediction may have been created (and billed); check replicate.com/predictions before running again';

function readReply(
  api: ReplicateApi,
  spec: ReplicateCall,
  status: number,
  headers: Dispatcher.ResponseData['headers'],
  reply: ReplyText,
): AttemptOutcome<JsonObject> {
  const { text } = reply;
  const body = parseReplyJson(text);
  const secrets = [api.token];
  if (spec.method === 'GET' && spec.requestId !== undefined && status === 404 && isProblem404(body, headers)) {
    const error = new RequestGoneError(`${spec.call}: HTTP 404: prediction ${spec.requestId} is unknown`, {
      requestId: spec.requestId,
      secrets,
    });
    return { ok: false, retryable: false, reason: 'HTTP 404', error };
  }
  if (status < 200 || status >= 300) {
    const kind = classifyReplicate(status);
    const retryable = (kind === 'rate' || kind === 'unavailable') && (!spec.submit || REFUSED.has(status));
    const error = replicateErrorFrom(status, body, text, { call: spec.call, requestId: spec.requestId, secrets });
    if (spec.submit && status >= 500) {
      const maybe = submitMaybeAccepted(error, { hint: UNCERTAIN_HINT });
      return { ok: false, retryable: false, reason: `HTTP ${status}`, error: maybe };
    }
    const retryAfterMs = parseRetryAfter(headers['retry-after'], api.rt.now());
    return { ok: false, retryable, reason: `HTTP ${status}`, error, retryAfterMs };
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return { ok: true, value: body as JsonObject };
  const what = unreadableReply(body, reply.overLimit);
  const common = { status, requestId: spec.requestId, secrets };
  if (spec.submit) {
    const error = new SubmitUncertainError(`submit: HTTP ${status} with ${what}; a prediction may have been created`, {
      ...common,
      hint: UNCERTAIN_HINT,
    });
    return { ok: false, retryable: false, reason: 'malformed reply', error };
  }
  const error = new MalformedResponseError(`${spec.call}: HTTP ${status} with ${what}`, common);
  return { ok: false, retryable: true, reason: 'malformed reply', error };
}

/**
 * Replicate's own 404 for a prediction read: a JSON reply in its problem shape (`status: 404`
 * with a `title` or `detail`). A proxy's page or an empty body proves nothing about the prediction.
 */
function isProblem404(body: unknown, headers: Dispatcher.ResponseData['headers']): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !isJsonReply(headers)) return false;
  const o = body as Record<string, unknown>;
  return o['status'] === 404 && (typeof o['title'] === 'string' || typeof o['detail'] === 'string');
}
