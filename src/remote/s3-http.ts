/**
 * The three S3 calls the remote cache makes (GET, HEAD, PUT of one object), signed with SigV4
 * (sigv4.ts) and sent over undici with kept-alive connections. The AWS SDK cost about 2.8 ms
 * of CPU per GET (middleware stack, endpoint rules, serde) — more than the server's side —
 * and bounded a run's remote hits; this costs a fraction of that. Failures are thrown in the
 * shape the SDK's have (`name` = the S3 error code, `$metadata.httpStatusCode`), so
 * errors.ts classifies both alike. The signature and credentials never reach a message.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { closeDispatcher, requestNow } from '../util/http-request.js';
import { dispatcherFor } from '../util/proxy-dispatcher.js';
import { amzDate, authorization, type Credentials, EMPTY_SHA256, encodeKeyPath } from './sigv4.js';

/**
 * How long a call may wait: for a connection, for a GET's or HEAD's reply headers (S3 answers in
 * well under a second; an endpoint that accepts and never answers would otherwise hold every
 * look-up of the run for undici's 60 s, three times over), for a PUT's (counted once its body is
 * handed to the socket, so a slow uplink still has time), and between body chunks.
 */
export interface S3Timeouts {
  readonly connectMs: number;
  readonly readHeadersMs: number;
  readonly writeHeadersMs: number;
  readonly bodyMs: number;
}

const S3_TIMEOUTS: S3Timeouts = {
  connectMs: 5_000,
  readHeadersMs: 5_000,
  writeHeadersMs: 60_000,
  bodyMs: 60_000,
};
/** As the SDK: a failed call is tried three times in all (network errors, 5xx, throttling). */
const MAX_ATTEMPTS = 3;
/** A call that timed out only twice: a black-holed endpoint costs two timeouts, then the remote is off. */
const TIMEOUT_ATTEMPTS = 2;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RETRY_BASE_MS = 100;
/**
 * An S3 error body is a few hundred bytes of XML, and a PUT's success has none: no more of a
 * reply is read, and for no longer than a reply's headers may take (a proxy or a hostile server
 * sending an endless or trickling body would otherwise hold the call, and the run, without end).
 */
const MAX_ERROR_BYTES = 64 * 1024;
/**
 * S3 refuses a request signed more than 15 min from its own clock (403 RequestTimeTooSkewed; a
 * HEAD's 403 has no body to say so). A refusal whose reply is dated further than this from our
 * clock is taken for that: the offset is kept for the client's life and the call signed again
 * once, so a machine whose clock is off still gets its hits instead of a "denied" miss (walk-ae 1).
 */
const SKEW_MS = 5 * 60_000;

export interface S3Target {
  /** `https://s3.<region>.amazonaws.com` when undefined. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  /** Resolved before each request (a chain may refresh them). */
  readonly credentials: () => Promise<Credentials>;
}

/** A failed S3 call, shaped as the SDK's errors are. */
export class S3HttpError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

interface S3Object {
  readonly length: number | undefined;
  readonly body: Readable;
}

export interface S3Http {
  /** The object's body (to be read or destroyed), or `null` for a 404. */
  get(key: string, signal?: AbortSignal): Promise<S3Object | null>;
  /** Its length (`undefined` when not said), or `null` for a 404; other failures are thrown. */
  head(key: string, signal?: AbortSignal): Promise<{ readonly length: number | undefined } | null>;
  put(key: string, body: Buffer, headers: Readonly<Record<string, string>>, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

interface Address {
  readonly origin: string;
  readonly host: string;
  /** The path up to the key, with a trailing slash. */
  readonly base: string;
}

function addressOf(t: S3Target): Address {
  // Dots in a bucket name break the TLS name of virtual-hosted style, so those go path-style too.
  const pathStyle = t.forcePathStyle || t.endpoint !== undefined || t.bucket.includes('.');
  const url = new URL(t.endpoint ?? `https://s3.${t.region}.amazonaws.com`);
  const prefix = url.pathname.replace(/\/+$/, '');
  if (pathStyle) return { origin: url.origin, host: url.host, base: `${prefix}/${encodeKeyPath(t.bucket)}/` };
  const host = `${t.bucket}.${url.host}`;
  return { origin: `${url.protocol}//${host}`, host, base: `${prefix}/` };
}

/**
 * `env`: whose `HTTPS_PROXY` / `NO_PROXY` apply (util/proxy.ts); `null` (tests of the calls
 * themselves): always direct.
 */
export function openS3Http(
  target: S3Target,
  shorter: Partial<S3Timeouts> = {},
  env: Readonly<Record<string, string | undefined>> | null = null,
  now: () => number = Date.now,
): S3Http {
  /** The server's clock less ours, once a refusal showed ours is off; every signature uses it. */
  let offsetMs = 0;
  const timeouts: S3Timeouts = { ...S3_TIMEOUTS, ...shorter };
  const at = addressOf(target);
  const dispatcher: Dispatcher = dispatcherFor(env, {
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.writeHeadersMs,
    bodyTimeout: timeouts.bodyMs,
  });

  async function once(
    method: 'GET' | 'HEAD' | 'PUT',
    key: string,
    body: Buffer | undefined,
    extra: Readonly<Record<string, string>>,
    credentials: Credentials,
    offset: number,
    signal: AbortSignal | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const path = `${at.base}${encodeKeyPath(key)}`;
    const date = amzDate(now() + offset);
    const payloadHash = body === undefined ? EMPTY_SHA256 : createHash('sha256').update(body).digest('hex');
    const signed: Record<string, string> = {
      host: at.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': date,
      ...extra,
    };
    if (credentials.sessionToken) signed['x-amz-security-token'] = credentials.sessionToken;
    const auth = authorization(
      { method, path, query: '', headers: signed, payloadHash, amzDate: date, region: target.region, service: 's3' },
      credentials,
    );
    return requestNow(
      `${at.origin}${path}`,
      {
        dispatcher,
        method,
        headers: { ...signed, authorization: auth },
        headersTimeout: method === 'PUT' ? timeouts.writeHeadersMs : timeouts.readHeadersMs,
        ...(body === undefined ? {} : { body }),
      },
      { signal },
    );
  }

  /** One call, tried again on what may pass (network errors, 5xx, 429); a 404 is `null`. */
  async function call(
    method: 'GET' | 'HEAD' | 'PUT',
    key: string,
    body: Buffer | undefined,
    extra: Readonly<Record<string, string>>,
    signal: AbortSignal | undefined,
  ): Promise<Dispatcher.ResponseData | null> {
    const credentials = await target.credentials();
    let resigned = false;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        const signedWith = offsetMs;
        const res = await once(method, key, body, extra, credentials, signedWith, signal);
        if (res.statusCode >= 200 && res.statusCode < 300) return res;
        const text = await readReply(res.body, timeouts.readHeadersMs);
        if (res.statusCode === 404) return null;
        const refusal = errorOf(res.statusCode, text);
        // Judged against the clock it was signed with: another call may have corrected it since.
        const skew = res.statusCode === 403 ? skewOf(res.headers.date, text, now() + signedWith) : null;
        const stale = res.statusCode === 403 && signedWith !== offsetMs;
        if ((skew !== null || stale) && !resigned) {
          if (!stale && skew !== null) offsetMs += skew;
          resigned = true;
          attempt--;
          continue;
        }
        const off = skew === null && signedWith === 0 ? null : signedWith + (skew ?? 0);
        failure = skew !== null || refusal.name === 'RequestTimeTooSkewed' ? clockError(off, now()) : refusal;
      } catch (e) {
        if (signal?.aborted) throw e;
        failure = e;
      }
      if (failure instanceof S3HttpError && !retryable(failure.$metadata.httpStatusCode)) throw failure;
      if (attempt >= (isTimeout(failure) ? TIMEOUT_ATTEMPTS : MAX_ATTEMPTS)) throw failure;
      await sleep(RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random()), signal);
      if (signal?.aborted) throw signal.reason;
    }
  }

  return {
    async get(key, signal) {
      const res = await call('GET', key, undefined, {}, signal);
      if (res === null) return null;
      const length = Number(res.headers['content-length']);
      return { length: Number.isFinite(length) ? length : undefined, body: res.body };
    },
    async head(key, signal) {
      const res = await call('HEAD', key, undefined, {}, signal);
      if (res === null) return null;
      await res.body.dump();
      const length = Number(res.headers['content-length']);
      return { length: Number.isFinite(length) ? length : undefined };
    },
    async put(key, body, headers, signal) {
      const extra = { ...headers, 'content-length': String(body.length) };
      const res = await call('PUT', key, body, extra, signal);
      if (res === null) throw new S3HttpError('NoSuchBucket', 404, 'the bucket does not exist');
      // Stored once the status says so: the reply's body (none from S3) is read only as an error's is.
      await readReply(res.body, timeouts.readHeadersMs);
    },
    close: () => closeDispatcher(dispatcher),
  };
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code);
}

function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

async function readReply(body: Readable, ms: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => body.destroy(), ms);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BYTES) break;
    }
  } catch {
    // Cut off (the time is up, the connection dropped): what came is all there is to quote.
  } finally {
    clearTimeout(timer);
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ERROR_BYTES);
}

/** S3's XML error (`<Code>`, `<Message>`); a HEAD has no body, so its status names it. */
function errorOf(status: number, xml: string): S3HttpError {
  const tag = (name: string): string | undefined =>
    new RegExp(`<${name}>([^<]{1,300})</${name}>`).exec(xml)?.[1]?.trim();
  const byStatus: Readonly<Record<number, string>> = { 301: 'PermanentRedirect', 403: 'Forbidden', 404: 'NotFound' };
  const code = tag('Code') ?? byStatus[status] ?? `HTTP${status}`;
  return new S3HttpError(code, status, tag('Message') ?? `HTTP ${status}`);
}

/**
 * How far our clock is from the server's, when a 403 says that is what was refused: its
 * `RequestTimeTooSkewed` body's `ServerTime`, else the reply's `Date`, more than {@link SKEW_MS}
 * from `local`; `null` when it is not (a refusal for want of permission).
 */
function skewOf(date: string | string[] | undefined, xml: string, local: number): number | null {
  const serverTime = /<ServerTime>([^<]{1,64})<\/ServerTime>/.exec(xml)?.[1];
  const server = Date.parse(serverTime ?? (typeof date === 'string' ? date : ''));
  if (!Number.isFinite(server)) return null;
  const skew = server - local;
  return Math.abs(skew) > SKEW_MS ? skew : null;
}

/** Refused for the request's time: this machine's clock, not a permission (`skew`: server less ours). */
function clockError(skew: number | null, local: number): S3HttpError {
  const off = skew === null ? 'off' : `${spanOf(Math.abs(skew))} ${skew > 0 ? 'behind' : 'ahead of'} the server's`;
  return new S3HttpError(
    'RequestTimeTooSkewed',
    403,
    `the request's time was refused: this machine's clock is ${off}; ` +
      `set the system clock (it reads ${new Date(local).toISOString()})`,
  );
}

/** `2 h 5 min`, `17 min`. */
function spanOf(ms: number): string {
  const min = Math.round(ms / 60_000);
  const h = Math.floor(min / 60);
  return h === 0 ? `${min} min` : `${h} h${min % 60 === 0 ? '' : ` ${min % 60} min`}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
