/**
 * Open an output URL for download: allow-listed hosts only, re-checked on every redirect
 * (followed by hand, at most five), no Authorization header, no URL carrying the API key (an
 * API echoing it into an output URL would have it sent to that host, and kept in the run
 * record's `output_url`), and a Content-Length over the cap refused before a single body byte is read.
 */
import type { Dispatcher } from 'undici';
import { requestNow } from '../../util/http-request.js';
import {
  DownloadFailedError,
  DownloadHostRefusedError,
  DownloadRefusedError,
  DownloadTooLargeError,
} from './errors.js';
import { checkHost } from './host-allow.js';
import { carriesSecret, redactUrl } from '../../util/redact.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface OpenContext {
  readonly dispatcher: Dispatcher;
  readonly allowHosts: readonly string[];
  readonly maxBytes: number;
  readonly secrets: readonly string[];
  /** The provider's own output hosts (default: RunComfy's), and the hint naming them when a host is refused. */
  readonly trustedHosts?: { readonly test: (host: string) => boolean; readonly hint: string } | undefined;
}

export interface OpenedDownload {
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
  /** Declared size, or `null` without a (valid) Content-Length. */
  readonly length: number | null;
}

/** Throw {@link DownloadHostRefusedError} unless `url` may be fetched. */
function assertHostAllowed(url: string, ctx: Pick<OpenContext, 'allowHosts' | 'secrets' | 'trustedHosts'>): void {
  if (carriesSecret(url, ctx.secrets)) {
    throw new DownloadRefusedError(`refusing to download ${redactUrl(url)}: the URL carries the API key`, {
      secrets: ctx.secrets,
      hint: 'the API named an output URL holding the key; it is neither fetched nor stored. Check the provider',
    });
  }
  const verdict = checkHost(url, ctx.allowHosts, ctx.trustedHosts?.test);
  if (verdict.ok) return;
  // A file: URL, a URL with credentials: no host to allow, and KONTEXT_ALLOW_HOSTS would not help.
  if (!verdict.byHost) {
    throw new DownloadHostRefusedError(verdict.host, `refusing to download ${redactUrl(url)}: ${verdict.reason}`, {
      secrets: ctx.secrets,
      hint: 'the API named an output URL kontext never fetches; check the provider',
    });
  }
  throw new DownloadHostRefusedError(
    verdict.host,
    `refusing to download from host "${verdict.host}": ${verdict.reason} (${redactUrl(url)})`,
    {
      secrets: ctx.secrets,
      ...(ctx.trustedHosts
        ? { hint: `${ctx.trustedHosts.hint}; if you trust "${verdict.host}", add it to KONTEXT_ALLOW_HOSTS` }
        : {}),
    },
  );
}

/** GET the URL, following allowed redirects; the reply is a 2xx (or another non-redirect) with its body unread. */
export async function openDownload(ctx: OpenContext, url: string, signal?: AbortSignal): Promise<OpenedDownload> {
  let current = url;
  for (let hop = 0; ; hop++) {
    assertHostAllowed(current, ctx);
    // identity: an encoded body is refused (download.ts), so ask for none.
    const res = await requestNow(
      current,
      { dispatcher: ctx.dispatcher, method: 'GET', headers: { 'accept-encoding': 'identity' } },
      { signal },
    );
    if (!REDIRECTS.has(res.statusCode)) {
      const length = contentLength(res.headers['content-length']);
      if (length !== null && length > ctx.maxBytes) {
        res.body.destroy();
        const url = redactUrl(current);
        throw new DownloadTooLargeError(
          `refusing to download ${url}: Content-Length ${length} exceeds the cap of ${ctx.maxBytes} bytes`,
          {
            secrets: ctx.secrets,
          },
        );
      }
      return { url: current, status: res.statusCode, headers: res.headers, body: res.body, length };
    }
    await res.body.dump();
    const location = first(res.headers['location']);
    if (!location)
      throw new DownloadFailedError(`download: HTTP ${res.statusCode} redirect without a Location header`, {
        status: res.statusCode,
        secrets: ctx.secrets,
      });
    if (hop >= MAX_REDIRECTS)
      throw new DownloadFailedError(`download: more than ${MAX_REDIRECTS} redirects from ${redactUrl(url)}`, {
        secrets: ctx.secrets,
      });
    current = resolveLocation(location, current, ctx.secrets);
  }
}

function resolveLocation(location: string, base: string, secrets: readonly string[]): string {
  try {
    return new URL(location, base).href;
  } catch {
    throw new DownloadFailedError('download: redirect to an unparsable Location', { secrets });
  }
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function contentLength(v: string | string[] | undefined): number | null {
  const s = first(v)?.trim();
  if (!s || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
