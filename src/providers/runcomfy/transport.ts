/**
 * One HTTP exchange with the API over undici: JSON in, text out, nothing else. No retries and
 * no interpretation here (see api-call.ts); timeouts live on the dispatcher.
 */
import type { Dispatcher } from 'undici';
import { requestNow } from '../../util/http-request.js';
import { dispatcherFor } from '../../util/proxy-dispatcher.js';

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** API replies are small JSON; anything bigger is a broken or hostile server. */
const MAX_REPLY_BYTES = 8 * 1024 * 1024;

/** A reply body as read: its text, `''` with `overLimit` when it passed {@link MAX_REPLY_BYTES}. */
export interface ReplyText {
  readonly text: string;
  readonly overLimit: boolean;
}

/**
 * What a reply that is not a JSON object is, for the error that says so: one over the size limit
 * (not read at all), one that is not JSON, or JSON that is not an object.
 */
export function unreadableReply(body: unknown, overLimit: boolean | undefined): string {
  if (overLimit === true)
    return `a reply over the ${MAX_REPLY_BYTES / (1024 * 1024)} MiB limit for API replies (not read)`;
  return body === undefined ? 'a reply that is not JSON' : 'JSON that is not an object';
}

export interface TimeoutOptions {
  readonly connectTimeoutMs?: number | undefined;
  /** Time allowed for the reply headers, and between body chunks. */
  readonly requestTimeoutMs?: number | undefined;
  /** Whose environment names the proxies (`HTTPS_PROXY`, `NO_PROXY`: util/proxy.ts); none without it. */
  readonly rt?: { readonly env: Readonly<Record<string, string | undefined>> } | undefined;
  /** Never through a proxy: the in-process emulator, on this machine. */
  readonly direct?: boolean | undefined;
}

/** Each dispatcher's request timeout, which also bounds a whole reply body (see {@link readReplyText}). */
const replyTimeouts = new WeakMap<Dispatcher, number>();

/**
 * An undici dispatcher with the client's timeouts (connect 10 s, headers/body 60 s by default),
 * through the proxy `rt`'s environment names for each URL (util/proxy.ts), unless `direct`.
 */
export function createDispatcher(options: TimeoutOptions = {}): Dispatcher {
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const dispatcher = dispatcherFor(options.direct === true ? null : (options.rt?.env ?? null), {
    connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
    headersTimeout: requestTimeout,
    bodyTimeout: requestTimeout,
  });
  replyTimeouts.set(dispatcher, requestTimeout);
  return dispatcher;
}

/**
 * A reply body that took longer than the request timeout as a whole. It carries undici's body
 * timeout code, so it is classified like one (a timeout after the request was sent).
 */
class ReplyTooSlowError extends Error {
  readonly code = 'UND_ERR_BODY_TIMEOUT';
  constructor(ms: number) {
    super(`the reply body did not end within ${ms} ms`);
  }
}

/**
 * Read a small reply body whole as text: `''`, `overLimit`, when it passes {@link MAX_REPLY_BYTES}. undici's
 * body timeout is per chunk, so a server that sends a byte every few seconds would keep the
 * call (and a submit's slot, or a wait past its deadline) going for ever: the whole body must
 * also arrive within the dispatcher's request timeout once the headers are in.
 */
export async function readReplyText(dispatcher: Dispatcher, body: Dispatcher.ResponseData['body']): Promise<ReplyText> {
  const ms = replyTimeouts.get(dispatcher) ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timer = setTimeout(() => body.destroy(new ReplyTooSlowError(ms)), ms);
  timer.unref();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) {
        body.destroy();
        return { text: '', overLimit: true };
      }
      chunks.push(chunk);
    }
  } finally {
    clearTimeout(timer);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), overLimit: false };
}

export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body passed the size limit and was not read (`text` is `''`). */
  readonly overLimit?: boolean | undefined;
}

export interface SendOptions {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: string;
  readonly token: string;
  /** The auth header(s) to send instead of `Authorization: Bearer <token>` (other providers' schemes). */
  readonly auth?: Readonly<Record<string, string>> | undefined;
  /** JSON body; omitted for GET and for the body-less cancel POST. */
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  /** Stops the request only while none of it can have been sent (util/http-request.ts `unsent`): a submit's Ctrl-C. */
  readonly stop?: AbortSignal | undefined;
}

/** Send one request and read the whole (small) reply as text. Network failures are thrown as-is. */
export async function sendJson(dispatcher: Dispatcher, options: SendOptions): Promise<RawReply> {
  const headers: Record<string, string> = {
    ...(options.auth ?? { authorization: `Bearer ${options.token}` }),
    accept: 'application/json',
  };
  const hasBody = options.body !== undefined;
  if (hasBody) headers['content-type'] = 'application/json';
  const res = await requestNow(
    options.url,
    { dispatcher, method: options.method, headers, ...(hasBody ? { body: JSON.stringify(options.body) } : {}) },
    { signal: options.signal, unsent: options.stop },
  );
  const { text, overLimit } = await readReplyText(dispatcher, res.body);
  return { status: res.statusCode, headers: res.headers, text, ...(overLimit ? { overLimit } : {}) };
}

/**
 * Whether a reply says its body is JSON (`application/json`, `application/problem+json`, …): a
 * proxy's or load balancer's error page is HTML or empty, so only a JSON reply can prove what the
 * service itself said (that a request is unknown, say).
 */
export function isJsonReply(headers: RawReply['headers']): boolean {
  const raw = headers['content-type'];
  const type = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  return /^\s*application\/([\w.-]+\+)?json\s*(;|$)/i.test(type);
}

/** Deeper than any API reply; the code reading replies (stringify, walks) recurses per level. */
const MAX_JSON_DEPTH = 64;

/**
 * A reply's JSON, or `undefined` when it is not JSON or is nested deeper than
 * {@link MAX_JSON_DEPTH}: `JSON.parse` takes a million levels, but the error mapping's
 * `JSON.stringify` and `String()` of them overflow the stack (a RangeError instead of a typed
 * error, a retry or "may have been submitted"). Such a body is an unreadable reply.
 */
export function parseReplyJson(text: string): unknown {
  if (mayNestTooDeep(text) && nestingDepth(text) > MAX_JSON_DEPTH) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Whether `text` holds more than {@link MAX_JSON_DEPTH} `[` and `{` in all (strings included):
 * only then can it nest deeper. A few native searches for a usual reply (a handful of
 * brackets), where {@link nestingDepth} steps through every character in JS (bench/reply-json.bench.mjs).
 */
function mayNestTooDeep(text: string): boolean {
  let n = 0;
  for (const c of ['[', '{']) {
    for (let i = text.indexOf(c); i !== -1; i = text.indexOf(c, i + 1)) if (++n > MAX_JSON_DEPTH) return true;
  }
  return false;
}

/** The deepest nesting of `[`/`{` outside strings; stops counting past the limit. */
function nestingDepth(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return 0;
}
