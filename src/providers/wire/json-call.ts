/**
 * One JSON API call of the BFL or fal.ai client, with the retry rules of RunComfy's
 * (docs/architecture.md#the-runcomfy-api): reads and cancels retry on 408/429/5xx, network
 * errors and unreadable replies; a submit only when the reply proves it was not taken (429, or a
 * 503 in the service's own words: a reply labelled JSON with FastAPI's `detail`, which both
 * providers document as a refusal — BFL's error guide, fal's own client and "5xx is not charged"),
 * or no connection was made, because anything else may already have been accepted and billed: a
 * submit's other 5xx — a 503 that is a proxy's page or empty included: a load balancer may answer
 * it after the service took the request — is "maybe accepted" (`SubmitUncertainError`). The URL is
 * absolute (BFL's `polling_url` and fal's `status_url` come from the API) and the auth header is
 * the provider's own.
 */
import type { Dispatcher } from 'undici';
import type { Runtime } from '../../runtime.js';
import {
  MalformedResponseError,
  NetworkError,
  RequestGoneError,
  SubmitUncertainError,
  submitMaybeAccepted,
} from '../runcomfy/errors.js';
import { isNotSentCode, networkCodeOf } from '../runcomfy/net-errors.js';
import { codedFailure } from '../runcomfy/net-failure.js';
import { StoppedUnsent } from '../../util/http-request.js';
import { mayHaveSent, viaProxy } from '../../util/proxy-dispatcher.js';
import { parseRetryAfter, type RetryPolicy } from '../runcomfy/retry.js';
import { stoppedDuring, type AttemptOutcome, bothListeners, withRetries } from '../runcomfy/retry-loop.js';
import { isJsonReply, parseReplyJson, type RawReply, sendJson, unreadableReply } from '../runcomfy/transport.js';
import type { RetryListener } from '../types.js';
import { classifyHttpError, hasDetail, httpError, isRetryableHttpKind, type ProviderVoice } from './map-status.js';

export interface JsonApi {
  readonly dispatcher: Dispatcher;
  readonly rt: Runtime;
  readonly retry: RetryPolicy;
  /** The request's overall deadline: a submit's waits for a refusal's `Retry-After` end within it. */
  readonly deadlineMs?: number | undefined;
  /** The auth header(s) every call carries. */
  readonly auth: Readonly<Record<string, string>>;
  /** Scrubbed from every message (the key). */
  readonly secrets: readonly string[];
  readonly voice: ProviderVoice;
  readonly onRetry?: RetryListener | undefined;
}

export interface JsonCall {
  /** `submit`, `status`, `result`, `cancel`: for messages and `onRetry`. */
  readonly call: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly body?: unknown;
  readonly submit?: boolean;
  readonly requestId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /** A submit's Ctrl-C: ends it between attempts (see `Provider.submit`). */
  readonly stop?: AbortSignal | undefined;
  readonly onRetry?: RetryListener | undefined;
  /**
   * Error replies this call reads as answers rather than failures (e.g. fal's cancel: 400
   * ALREADY_COMPLETED): their parsed body is returned as the value, with the status.
   */
  readonly answers?: (status: number) => boolean;
  /**
   * Whether a JSON reply (labelled JSON, an object) is the service's own word that the request
   * is unknown: it becomes a `RequestGoneError`. Any other 404 (a proxy's page, an empty body)
   * stays an `InputRejectedError`, which proves nothing.
   */
  readonly gone?: (status: number, body: JsonObject) => boolean;
}

export type JsonObject = Readonly<Record<string, unknown>>;

export interface JsonReply {
  readonly status: number;
  readonly body: JsonObject;
}

/**
 * Whether a submit's error reply says the request was not taken, so it is safe to send again: a
 * 429 (whoever sends it refuses), or a 503 in the service's own words (labelled JSON, with
 * FastAPI's `detail`). A 503 page or empty body may come from a proxy after the service took it.
 */
function refusesSubmit(reply: RawReply, body: unknown): boolean {
  if (reply.status === 429) return true;
  return reply.status === 503 && isJsonReply(reply.headers) && hasDetail(body);
}

export function callJson(api: JsonApi, spec: JsonCall): Promise<JsonReply> {
  const loop = {
    rt: api.rt,
    policy: api.retry,
    signal: spec.signal,
    stop: spec.stop,
    submit: spec.submit,
    deadlineMs: api.deadlineMs,
    onRetry: bothListeners(api.onRetry, spec.onRetry),
  };
  return withRetries(spec.call, loop, () => attemptOnce(api, spec));
}

async function attemptOnce(api: JsonApi, spec: JsonCall): Promise<AttemptOutcome<JsonReply>> {
  let reply: RawReply;
  const started = performance.now();
  try {
    reply = await sendJson(api.dispatcher, {
      method: spec.method,
      url: spec.url,
      token: '',
      auth: api.auth,
      body: spec.body,
      signal: spec.signal,
      stop: spec.stop,
    });
  } catch (e) {
    if (e instanceof StoppedUnsent) throw stoppedDuring(e.signal, spec.submit, false);
    if (spec.signal?.aborted)
      throw stoppedDuring(spec.signal, spec.submit, mayHaveSent(api.dispatcher, spec.url, started));
    return networkFailure(api, spec, e);
  }
  return readReply(api, spec, reply);
}

function networkFailure(api: JsonApi, spec: JsonCall, e: unknown): AttemptOutcome<JsonReply> {
  const code = networkCodeOf(e);
  const common = { cause: e, requestId: spec.requestId, secrets: api.secrets };
  const label = `${api.voice.label} ${spec.call}`;
  if (code === undefined) {
    const msg = e instanceof Error ? e.message : String(e);
    const error = new NetworkError(`${label}: request failed: ${msg}${viaProxy(api.dispatcher, spec.url)}`, common);
    return { ok: false, retryable: false, reason: 'error', error };
  }
  if (spec.submit && !isNotSentCode(code)) {
    const error = new SubmitUncertainError(
      `${label}: the connection failed after the request was sent (${code}); it may have been submitted`,
      { ...common, hint: `the request may have been submitted (and billed); check your ${api.voice.label} dashboard` },
    );
    return { ok: false, retryable: false, reason: code, error };
  }
  const failure = codedFailure(code, api.dispatcher, spec.url);
  const error = new NetworkError(`${label}: ${failure.text}`, { ...common, ...failure.options });
  return { ok: false, retryable: failure.retryable, reason: code, error };
}

function readReply(api: JsonApi, spec: JsonCall, reply: RawReply): AttemptOutcome<JsonReply> {
  const body = parseReplyJson(reply.text);
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  const ok = reply.status >= 200 && reply.status < 300;
  if (spec.gone && isObject && isJsonReply(reply.headers) && spec.gone(reply.status, body as JsonObject)) {
    const error = new RequestGoneError(
      `${api.voice.label} ${spec.call}: HTTP ${reply.status}: request ${spec.requestId ?? ''} is unknown or expired`,
      { status: reply.status, requestId: spec.requestId, secrets: api.secrets },
    );
    return { ok: false, retryable: false, reason: `HTTP ${reply.status}`, error };
  }
  if ((ok || spec.answers?.(reply.status)) && isObject) {
    return { ok: true, value: { status: reply.status, body: body as JsonObject } };
  }
  const common = { status: reply.status, requestId: spec.requestId, secrets: api.secrets };
  const label = `${api.voice.label} ${spec.call}`;
  if (!ok) {
    const kind = classifyHttpError(reply.status, body, reply.text);
    const refused = spec.submit === true && refusesSubmit(reply, body);
    const retryable = isRetryableHttpKind(kind) && (!spec.submit || refused);
    const error = httpError(reply.status, body, reply.text, {
      ...spec,
      voice: api.voice,
      secrets: api.secrets,
      jsonReply: isJsonReply(reply.headers),
    });
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], api.rt.now());
    if (spec.submit && reply.status >= 500 && !refused) {
      const who = api.voice.label;
      const proxy = reply.status === 503 ? `a 503 that is not ${who}'s own JSON reply may come from a proxy; ` : '';
      const hint = `${proxy}the request may have been submitted (and billed); check your ${who} dashboard`;
      return {
        ok: false,
        retryable: false,
        reason: `HTTP ${reply.status}`,
        error: submitMaybeAccepted(error, { hint }),
      };
    }
    return { ok: false, retryable, reason: `HTTP ${reply.status}`, error, retryAfterMs };
  }
  const what = unreadableReply(body, reply.overLimit);
  if (spec.submit) {
    const error = new SubmitUncertainError(
      `${label}: HTTP ${reply.status} with ${what}; the request may have been submitted`,
      { ...common, hint: `the request may have been submitted (and billed); check your ${api.voice.label} dashboard` },
    );
    return { ok: false, retryable: false, reason: 'malformed reply', error };
  }
  const error = new MalformedResponseError(`${label}: HTTP ${reply.status} with ${what}`, common);
  return { ok: false, retryable: true, reason: 'malformed reply', error };
}
