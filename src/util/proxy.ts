/**
 * HTTP proxies from the environment, as npm and undici read them (docs/architecture.md#proxies
 * says where curl differs): `HTTPS_PROXY` for https:// URLs, `HTTP_PROXY` for http:// ones (and
 * for https:// when `HTTPS_PROXY` is unset), the lower-case names first; `NO_PROXY`: hosts
 * reached directly (comma- or space-separated names, `name:port`, a leading `.` or `*.`, an IPv6
 * address, `*` for all). Every connection to an API, a download, the remote cache and S3 hosting
 * goes through the proxy that applies, as a CONNECT tunnel (proxy-dispatcher.ts, proxy-agent.ts):
 * the proxy sees the host and port, never the request (over https). The in-process emulator is
 * always reached directly.
 *
 * A proxy URL may carry a user and password (`http://user:pass@proxy:3128`): they go to the proxy
 * only (`Proxy-Authorization`), and a message names the proxy without them ({@link proxyLabel}).
 * This module loads nothing heavy (no undici, no node:http): a run's start reads it.
 */
import { UsageError } from '../errors.js';
import { redactUrl } from './redact.js';

export interface ProxySettings {
  /** For http:// URLs ('' for none). */
  readonly http: string;
  /** For https:// URLs ('' for none). */
  readonly https: string;
  /** NO_PROXY as set ('' for none). */
  readonly noProxy: string;
  /** The proxies' passwords (as written and decoded), for messages to scrub. */
  readonly secrets: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** The first of `names` set (not empty) in `env`: its name and value. */
function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

/** A proxy named without a scheme (`proxy.corp:3128`) is an http:// one, as curl takes it. */
function withScheme(found: { name: string; value: string } | null): { name: string; value: string } | null {
  if (found === null || /^[a-z][a-z0-9+.-]*:\/\//i.test(found.value)) return found;
  return { name: found.name, value: `http://${found.value}` };
}

/**
 * The proxies `env` asks for; `null` when none. A value that is not an http:// or https:// URL is
 * refused (exit 64, naming the variable): sending on directly when a proxy was asked for could go
 * around a network's rules, and failing each connection later would say less.
 */
export function proxySettingsOf(env: Env): ProxySettings | null {
  const http = withScheme(firstSet(env, ['http_proxy', 'HTTP_PROXY']));
  const https = withScheme(firstSet(env, ['https_proxy', 'HTTPS_PROXY'])) ?? http;
  if (http === null && https === null) return null;
  const secrets: string[] = [];
  for (const p of [http, https]) if (p !== null) secrets.push(...checkedProxy(p.name, p.value));
  return {
    http: http?.value ?? '',
    https: https?.value ?? '',
    noProxy: firstSet(env, ['no_proxy', 'NO_PROXY'])?.value ?? '',
    secrets: [...new Set(secrets)],
  };
}

/** The password in proxy URL `value` (to scrub), after checking it is one. */
function checkedProxy(name: string, value: string): string[] {
  let url: URL | null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  // Its value is never shown: what does not parse may hold a password with a `#`, `?` or `/`,
  // which no redaction can tell from the host. A `@` past the host is such a password, cut short
  // (`http://alice:/secret@proxy` parses as host alice, path /secret@proxy); so are credentials
  // that do not decode (`50%off`).
  if (url === null || /@/.test(url.pathname + url.hash + url.search) || !decodes(url))
    throw new UsageError(`${name} is not a URL (its value is not shown: it may hold a password)`, {
      hint:
        'set it as host:port, or with a scheme and credentials (user:password@ before the host); ' +
        'write a # ? / or % in a password as %23 %3F %2F or %25',
    });
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `${name} is a ${url.protocol.replace(/:$/, '')} proxy (${proxyLabel(value)}): ` +
        'kontext speaks to http:// and https:// proxies',
      { hint: 'set it as http://host:port, or unset it' },
    );
  // Not the user name: a common word ("kontext", "ci") scrubbed from every message would garble them.
  return [url.password, decodeURIComponent(url.password)].filter((s) => s.length > 0);
}

/** Whether the URL's user and password percent-decode (what is sent to the proxy is decoded). */
function decodes(url: URL): boolean {
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    return true;
  } catch {
    return false;
  }
}

/** The passwords in the proxy URLs of `env` (to scrub from messages); none when they are not URLs. */
export function proxySecretsIn(env: Env): readonly string[] {
  try {
    return proxySettingsOf(env)?.secrets ?? [];
  } catch {
    return [];
  }
}

/** A proxy URL without its user and password (what a message may say). */
export function proxyLabel(url: string): string {
  return redactUrl(url).replace(/\/$/, '');
}

/**
 * Whether `NO_PROXY` (`noProxy`) sends `url` directly, as undici and npm match it: a name, or any
 * of its subdomains (a leading `.` or `*.` changes nothing), with `:port` only that port, `*`
 * everything; an IPv6 address bare (`::1`) or in brackets (`[::1]:8080`). No CIDR ranges.
 */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const entries = noProxy.split(/[,\s]/).filter((e) => e.length > 0);
  if (entries.length === 0) return false;
  if (entries.includes('*')) return true;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || (url.protocol === 'https:' ? 443 : 80);
  return entries.some((entry) => {
    const { name, port: only } = noProxyEntry(entry);
    if (only !== null && only !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** One `NO_PROXY` entry: its host (lower case, no leading `.`/`*.`, no brackets) and port, if any. */
function noProxyEntry(entry: string): { name: string; port: number | null } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: (bracketed[1] ?? '').toLowerCase(), port: bracketed[2] ? Number(bracketed[2]) : null };
  // Two colons or more and no brackets: a bare IPv6 address, all of it the host.
  if ((entry.match(/:/g) ?? []).length > 1) return { name: entry.toLowerCase(), port: null };
  const m = /^(.+):(\d+)$/.exec(entry);
  return { name: (m?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase(), port: m ? Number(m[2]) : null };
}

/** The proxy `settings` send `url` through (its URL), or `null` when it goes directly. */
export function proxyFor(url: string, settings: ProxySettings | null): string | null {
  if (settings === null) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (bypassesProxy(u, settings.noProxy)) return null;
  if (u.protocol === 'https:') return settings.https === '' ? null : settings.https;
  if (u.protocol === 'http:') return settings.http === '' ? null : settings.http;
  return null;
}

/**
 * A proxy's answer to a tunnel's CONNECT other than 200 (a 407 asking for credentials, a 403 of
 * its rules, a 502 when it could not reach the host): nothing reached the target.
 */
export class TunnelRefusedError extends Error {
  override readonly name = 'TunnelRefusedError';
  readonly code = 'PROXY_TUNNEL_REFUSED';
  constructor(
    /** The proxy's status. */
    readonly status: number,
    /** The proxy, without its user and password. */
    readonly proxy: string,
    /** `host:port` the tunnel was asked for. */
    readonly target: string,
  ) {
    super(`the proxy ${proxy} refused the tunnel to ${target} (HTTP ${status})`);
  }
}

/** `e` and the errors it was caused by, outermost first (at most six: a cause chain may loop). */
function* causeChain(e: unknown): Generator<object> {
  let at: unknown = e;
  for (let depth = 0; depth < 6 && at !== null && typeof at === 'object'; depth++) {
    yield at;
    at = (at as { cause?: unknown }).cause;
  }
}

/** The status a proxy refused a tunnel with, when `e` (or its cause) is that refusal; else `null`. */
export function tunnelRefusalOf(e: unknown): number | null {
  for (const at of causeChain(e)) if (at instanceof TunnelRefusedError) return at.status;
  return null;
}

/**
 * Whether `code` is a certificate check failing in a TLS handshake (before any byte of a request):
 * a proxy that re-signs TLS with an authority this machine does not trust, an https:// proxy's
 * self-signed certificate. Sending again cannot help; `NODE_EXTRA_CA_CERTS` can.
 */
export function isCertCheckCode(code: string): boolean {
  return /^(?:ERR_TLS_CERT_ALTNAME_INVALID|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT)/.test(code);
}

/** A certificate check's code (see {@link isCertCheckCode}) along `e`'s cause chain, or null. */
export function certCheckCodeOf(e: unknown): string | null {
  for (const at of causeChain(e)) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string' && isCertCheckCode(code)) return code;
  }
  return null;
}

/**
 * How a network failure's code (providers/runcomfy/net-errors.ts `networkCodeOf`) names a proxy's
 * refusal of the tunnel: `proxy refused the tunnel (HTTP 407)`.
 */
export const PROXY_REFUSED = 'proxy refused the tunnel';

/** Whether a network failure's code is a proxy refusing our credentials (407). */
export function isProxyAuthRefusal(netCode: string | undefined): boolean {
  return netCode === `${PROXY_REFUSED} (HTTP 407)`;
}

/** What to do about a proxy's refusal of a tunnel with `status`. */
export function tunnelRefusalHint(status: number): string {
  if (status === 407)
    return (
      'the proxy wants a user and password, or did not take those in its URL: give them as ' +
      'user:password@ before its host (a # or ? in them written %23 or %3F)'
    );
  if (status >= 400 && status < 500) return "the proxy's rules refuse this host: ask the proxy's admins";
  return 'the proxy could not reach the host: check the network, or run again later';
}
