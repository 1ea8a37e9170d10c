/**
 * One API call with the retry rules of docs/architecture.md#the-runcomfy-api: idempotent calls (status, result,
 * cancel, model info) retry on 408/429/5xx, network errors and unreadable replies; a submit
 * retries only when the server clearly refused it (429, or no connection was ever made), because
 * anything else may already have been accepted and billed: RunComfy documents no idempotency key,
 * and its own clients never retry a paid POST, a 503 included. A submit's 5xx is "maybe accepted"
 * (`SubmitUncertainError`).
 */
import type { Dispatcher } from 'undici';
import type { Runtime } from '../../runtime.js';
import {
  MalformedResponseError,
  NetworkError,
  RequestGoneError,
  SubmitUncertainError,
  submitMaybeAccepted,
} from './errors.js';
import {
  classifyError,
  effectiveStatus,
  errorCodeOf,
  errorFromReply,
  isErrorReply,
  isRetryableKind,
} from './map-error.js';
import { isNotSentCode, networkCodeOf } from './net-errors.js';
import { codedFailure } from './net-failure.js';
import { StoppedUnsent } from '../../util/http-request.js';
import { mayHaveSent, viaProxy } from '../../util/proxy-dispatcher.js';
import { parseRetryAfter, type RetryPolicy } from './retry.js';
import type { RetryNotice } from '../types.js';
import { stoppedDuring, bothListeners, withRetries, type AttemptOutcome } from './retry-loop.js';
import { isJsonReply, parseReplyJson, sendJson, type RawReply, unreadableReply } from './transport.js';

export interface ApiContext {
  readonly baseUrl: string;
  readonly token: string;
  readonly dispatcher: Dispatcher;
  readonly rt: Runtime;
  readonly retry: RetryPolicy;
  /** The request's overall deadline: a submit's waits for a refusal's `Retry-After` end within it. */
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export interface ApiCall {
  /** Name for messages and `onRetry`: `submit`, `status`, `result`, `cancel`, `model info`. */
  readonly call: string;
  readonly method: 'GET' | 'POST';
  /** Path below the base URL, starting with `/`. */
  readonly path: string;
  readonly body?: unknown;
  /** A submit: retried only when the server refused it. */
  readonly submit?: boolean;
  readonly requestId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** A submit's Ctrl-C: ends it between attempts (see `Provider.submit`). */
  readonly stop?: AbortSignal | undefined;
  /** This call's own retry listener (besides the client-wide one). */
  readonly onRetry?: ((info: RetryNotice) => void) | undefined;
}

export type JsonObject = Readonly<Record<string, unknown>>;

/** Statuses with which RunComfy says it did not take the request: safe to resubmit. */
const REFUSED = new Set([429]);

/** RunComfy's documented code for an unknown, deleted or expired request id. */
const UNKNOWN_REQUEST = 404001;

/** Make the call (with retries) and return the reply's JSON object. Throws typed errors. */
export async function callApi(ctx: ApiContext, spec: ApiCall): Promise<JsonObject> {
  const loop = {
    rt: ctx.rt,
    policy: ctx.retry,
    signal: spec.signal,
    stop: spec.stop,
    submit: spec.submit,
    deadlineMs: ctx.deadlineMs,
    onRetry: bothListeners(ctx.onRetry, spec.onRetry),
  };
  return withRetries(spec.call, loop, () => attemptOnce(ctx, spec));
}

async function attemptOnce(ctx: ApiContext, spec: ApiCall): Promise<AttemptOutcome<JsonObject>> {
  let reply: RawReply;
  const started = performance.now();
  try {
    reply = await sendJson(ctx.dispatcher, {
      method: spec.method,
      url: `${ctx.baseUrl}${spec.path}`,
      token: ctx.token,
      body: spec.body,
      signal: spec.signal,
      stop: spec.stop,
    });
  } catch (e) {
    if (e instanceof StoppedUnsent) throw stoppedDuring(e.signal, spec.submit, false);
    if (spec.signal?.aborted)
      throw stoppedDuring(spec.signal, spec.submit, mayHaveSent(ctx.dispatcher, `${ctx.baseUrl}${spec.path}`, started));
    return networkFailure(ctx, spec, e);
  }
  return readReply(ctx, spec, reply);
}

function networkFailure(ctx: ApiContext, spec: ApiCall, e: unknown): AttemptOutcome<JsonObject> {
  const code = networkCodeOf(e);
  const url = `${ctx.baseUrl}${spec.path}`;
  const common = { cause: e, requestId: spec.requestId, secrets: [ctx.token] };
  if (code === undefined) {
    const msg = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      retryable: false,
      reason: 'error',
      error: new NetworkError(`${spec.call}: request failed: ${msg}${viaProxy(ctx.dispatcher, url)}`, common),
    };
  }
  if (spec.submit && !isNotSentCode(code)) {
    const error = new SubmitUncertainError(
      `submit: the connection failed after the request was sent (${code}); it may have been submitted`,
      common,
    );
    return { ok: false, retryable: false, reason: code, error };
  }
  const failure = codedFailure(code, ctx.dispatcher, url);
  const error = new NetworkError(`${spec.call}: ${failure.text}`, { ...common, ...failure.options });
  return { ok: false, retryable: failure.retryable, reason: code, error };
}

function readReply(ctx: ApiContext, spec: ApiCall, reply: RawReply): AttemptOutcome<JsonObject> {
  const body = parseReplyJson(reply.text);
  const secrets = [ctx.token];
  if (isErrorReply(reply.status, body)) {
    const errorCode = errorCodeOf(body);
    if (spec.requestId !== undefined && errorCode === UNKNOWN_REQUEST && isJsonReply(reply.headers)) {
      // Only the service's own JSON error with its documented code proves the request unknown.
      const error = new RequestGoneError(
        `${spec.call}: HTTP ${reply.status} (error_code ${errorCode}): request ${spec.requestId} is unknown or expired`,
        {
          status: reply.status,
          errorCode,
          requestId: spec.requestId,
          secrets,
        },
      );
      return { ok: false, retryable: false, reason: `HTTP ${reply.status}`, error };
    }
    const kind = classifyError(reply.status, errorCode);
    const status = effectiveStatus(reply.status, errorCode);
    const retryable = isRetryableKind(kind) && (!spec.submit || REFUSED.has(status));
    const error = errorFromReply(reply.status, body, reply.text, {
      call: spec.call,
      requestId: spec.requestId,
      secrets,
    });
    if (spec.submit && status >= 500)
      return { ok: false, retryable: false, reason: `HTTP ${reply.status}`, error: submitMaybeAccepted(error) };
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], ctx.rt.now());
    return { ok: false, retryable, reason: `HTTP ${reply.status}`, error, retryAfterMs };
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return { ok: true, value: body as JsonObject };
  const what = unreadableReply(body, reply.overLimit);
  const common = { status: reply.status, requestId: spec.requestId, secrets };
  if (spec.submit) {
    const error = new SubmitUncertainError(
      `submit: HTTP ${reply.status} with ${what}; the request may have been submitted`,
      common,
    );
    return { ok: false, retryable: false, reason: 'malformed reply', error };
  }
  const error = new MalformedResponseError(`${spec.call}: HTTP ${reply.status} with ${what}`, common);
  return { ok: false, retryable: true, reason: 'malformed reply', error };
}
