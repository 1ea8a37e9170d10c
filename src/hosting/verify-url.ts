/**
 * What a hosting command's URL serves, looked at from this machine before the API is paid to
 * fetch it (walk-af 3): a script that printed another image's URL had that image edited and the
 * result cached under this image's sha256 for every recipe sharing the cache; a URL that 404s or
 * serves a page cost a paid submit each time.
 *
 * One GET through the runtime env's proxies, `accept-encoding: identity`, the body read up to the
 * image's size and no further, redirects followed by hand (3 at most, each hop's URL refused when
 * private, as the printed one is, unless the API is local), 10 s to connect and 30 s in all.
 * Other bytes (another sha256: another image, a page, an image a CDN re-encoded) or a 4xx are the
 * command's fault: refused before any submit. What this machine cannot settle (no connection, a
 * timeout, a 5xx, a proxy's refusal, too many redirects) is only told: the API may reach what we
 * cannot. See docs/architecture.md#hosting.
 */
import { createHash } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { closeDispatcher, requestNow } from '../util/http-request.js';
import { dispatcherFor } from '../util/proxy-dispatcher.js';
import { redactUrl, redactUrlsIn } from '../util/redact.js';
import { HostingError } from './errors.js';
import { refusePrivateUrl } from './private-url.js';

const MAX_REDIRECTS = 3;
const CONNECT_TIMEOUT_MS = 10_000;
const OVERALL_TIMEOUT_MS = 30_000;
/** Statuses that say nothing of the URL itself: asked again later, it may serve the image. */
const PASSING_4XX = new Set([407, 408, 425, 429]);

/** `true`: the URL serves the image's bytes; a string: why that could not be checked. */
export type ServedCheck = true | string;

export interface ServedCheckOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The run's interrupt: answered by its reason, never as a failed check. */
  readonly signal?: AbortSignal | undefined;
  /** Whether a redirect may lead to a loopback or private URL (the API is local). */
  readonly allowPrivateUrls: boolean;
}

/**
 * Whether `url` serves exactly the `bytes` bytes of sha256 `sha256`. Throws
 * `E_HOSTING_COMMAND_OUTPUT` (exit 65) when it serves something else or answers a 4xx, and
 * `E_HOSTING_PRIVATE_URL` for a redirect to a private URL.
 */
export async function checkServedBytes(
  url: string,
  image: { readonly sha256: string; readonly bytes: number },
  options: ServedCheckOptions,
): Promise<ServedCheck> {
  let dispatcher: Dispatcher;
  try {
    dispatcher = dispatcherFor(options.env, {
      connect: { timeout: CONNECT_TIMEOUT_MS },
      headersTimeout: OVERALL_TIMEOUT_MS,
      bodyTimeout: OVERALL_TIMEOUT_MS,
    });
  } catch (e) {
    return `the proxy settings: ${errorText(e)}`;
  }
  const timeout = AbortSignal.timeout(OVERALL_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    let at = url;
    for (let hop = 0; ; hop++) {
      const res = await requestNow(
        at,
        { dispatcher, method: 'GET', headers: { 'accept-encoding': 'identity', accept: 'image/*, */*;q=0.5' } },
        { signal },
      );
      const status = res.statusCode;
      const location = header(res.headers, 'location');
      if (status >= 300 && status < 400 && location !== undefined) {
        await res.body.dump().catch(() => undefined);
        if (hop === MAX_REDIRECTS) return `it redirects more than ${MAX_REDIRECTS} times`;
        const next = resolveLocation(location, at);
        if (next === null) return `it redirects to a Location that is not a URL`;
        if (!options.allowPrivateUrls) refusePrivateUrl(next, "hosting command's URL redirects to");
        at = next;
        continue;
      }
      if (status >= 200 && status < 300) return await compareBody(res, url, image);
      await res.body.dump().catch(() => undefined);
      if (status >= 400 && status < 500 && !PASSING_4XX.has(status))
        throw new HostingError(
          'E_HOSTING_COMMAND_OUTPUT',
          // The URL followed by a space: a redaction of the message's text would take `):` for its query.
          `hosting command printed a URL that answers HTTP ${status}: ${redactUrl(url)} ` +
            'gives the API no image to fetch',
          { hint: 'check that the command uploads KONTEXT_FILE and prints the URL it put it under' },
        );
      return `it answered HTTP ${status}`;
    }
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (e instanceof HostingError) throw e;
    if (timeout.aborted) return `no answer within ${OVERALL_TIMEOUT_MS / 1000} s`;
    return errorText(e);
  } finally {
    void closeDispatcher(dispatcher).catch(() => undefined);
  }
}

/** The body's bytes against the image's: read until they differ in size, hashed as they come. */
async function compareBody(
  res: Dispatcher.ResponseData,
  url: string,
  image: { readonly sha256: string; readonly bytes: number },
): Promise<ServedCheck> {
  const type = header(res.headers, 'content-type')?.split(';')[0]?.trim();
  const encoding = header(res.headers, 'content-encoding');
  const hash = createHash('sha256');
  let read = 0;
  let longer = false;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    read += chunk.length;
    if (read > image.bytes) {
      longer = true;
      res.body.destroy();
      break;
    }
    hash.update(chunk);
  }
  const sha = longer ? null : hash.digest('hex');
  if (sha === image.sha256.toLowerCase() && read === image.bytes) return true;
  const size = longer ? `more than ${image.bytes} bytes` : `${read} bytes`;
  const what = [
    type ? `${type}, ` : '',
    size,
    sha === null ? '' : ` of sha256 ${sha.slice(0, 12)}…`,
    encoding && encoding !== 'identity' ? ` (content-encoding: ${encoding})` : '',
  ].join('');
  throw new HostingError(
    'E_HOSTING_COMMAND_OUTPUT',
    `hosting command printed a URL that serves other bytes than the image it was given: ${redactUrl(url)} ` +
      `serves ${what}, not ${image.bytes} bytes of sha256 ${image.sha256.slice(0, 12)}…`,
    {
      hint:
        'the URL must serve the bytes of KONTEXT_FILE unchanged: print the URL the command uploaded it to ' +
        '(not another file, a page, or a copy a CDN re-encodes)',
    },
  );
}

function header(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function resolveLocation(location: string, base: string): string | null {
  try {
    const next = new URL(location, base);
    return next.protocol === 'http:' || next.protocol === 'https:' ? next.href : null;
  } catch {
    return null;
  }
}

/** A network failure in words, no URL's query or secret in them (a tunnel's names the proxy without its password). */
function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const text = redactUrlsIn(message);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
