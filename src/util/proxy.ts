/**
 * HTTP proxies from the environment, as curl, npm and the AWS CLI read them: `HTTPS_PROXY` for
 * https:// URLs, `HTTP_PROXY` for http:// ones (and for https:// when `HTTPS_PROXY` is unset), the
 * lower-case names first; `NO_PROXY`: hosts reached directly (comma- or space-separated names,
 * `name:port`, a leading `.` or `*.` for every subdomain, `*` for all). Every connection to an API,
 * a download, the remote cache and S3 hosting goes through the proxy that applies, as a CONNECT
 * tunnel: the proxy sees the host and port, never the request (over https). The in-process
 * emulator is always reached directly. See docs/architecture.md#proxies.
 *
 * A proxy URL may carry a user and password (`http://user:pass@proxy:3128`): they go to the proxy
 * only (`Proxy-Authorization`), and a message names the proxy without them ({@link proxyLabel}).
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
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
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} is not a URL: ${redactUrl(value)}`, {
      hint: `set it as http://host:port (or http://user:password@host:port), or unset it`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(
      `${name} is a ${url.protocol.replace(/:$/, '')} proxy (${proxyLabel(value)}): ` +
        'kontext speaks to http:// and https:// proxies',
      {
        hint: `set it as http://host:port, or unset it`,
      },
    );
  // Not the user name: a common word ("kontext", "ci") scrubbed from every message would garble them.
  return [url.password, decodeURIComponent(url.password)].filter((s) => s.length > 0);
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

/** Whether `NO_PROXY` (`noProxy`) sends `url` directly: undici's rule (EnvHttpProxyAgent). */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const entries = noProxy.split(/[,\s]/).filter((e) => e.length > 0);
  if (entries.length === 0) return false;
  if (noProxy.trim() === '*') return true;
  const host = url.host.replace(/:\d*$/, '').toLowerCase();
  const port = Number.parseInt(url.port, 10) || (url.protocol === 'https:' ? 443 : 80);
  return entries.some((entry) => {
    const m = /^(.+):(\d+)$/.exec(entry);
    const name = (m?.[1] ?? entry).replace(/^\*?\./, '').toLowerCase();
    if (m && Number(m[2]) !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
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

/** The proxy settings each dispatcher was made with (for messages: {@link proxyOfDispatcher}). */
const proxiesOf = new WeakMap<Dispatcher, ProxySettings>();

/**
 * An undici dispatcher with `options`: through the proxies of `env` when it names any (never the
 * process's own environment: a library's embedder decides with the runtime's `env`), else direct.
 */
export function dispatcherFor(env: Env | null, options: Agent.Options): Dispatcher {
  const settings = env === null ? null : proxySettingsOf(env);
  if (settings === null) return new Agent(options);
  // Empty strings, not undefined: undefined would make undici read process.env itself.
  const dispatcher = new EnvHttpProxyAgent({
    ...options,
    httpProxy: settings.http,
    httpsProxy: settings.https,
    noProxy: settings.noProxy,
  });
  proxiesOf.set(dispatcher, settings);
  return dispatcher;
}

/** The proxy a dispatcher of {@link dispatcherFor} sends `url` through, labelled; `null` when direct. */
export function proxyOfDispatcher(dispatcher: Dispatcher, url: string): string | null {
  const proxy = proxyFor(url, proxiesOf.get(dispatcher) ?? null);
  return proxy === null ? null : proxyLabel(proxy);
}

/** ` (through the proxy http://host:port)` when `dispatcher` sends `url` through one, else ''. */
export function viaProxy(dispatcher: Dispatcher, url: string): string {
  const proxy = proxyOfDispatcher(dispatcher, url);
  return proxy === null ? '' : ` (through the proxy ${proxy})`;
}

/**
 * undici's words for a proxy that answered the tunnel's CONNECT with another status than 200
 * (a 407 asking for credentials, a 403 of its rules, a 502 when it could not reach the host).
 */
const TUNNEL_REFUSED = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/;

/** The status a proxy refused a tunnel with, when `e` is that refusal (undici's error); else `null`. */
export function tunnelRefusalOf(e: unknown): number | null {
  const m = e instanceof Error ? TUNNEL_REFUSED.exec(e.message) : null;
  return m ? Number(m[1]) : null;
}

/** What to do about a proxy's refusal of a tunnel with `status`. */
export function tunnelRefusalHint(status: number): string {
  if (status === 407)
    return 'the proxy asks for a user and password: put them in its URL (user:password@ before its host)';
  if (status >= 400 && status < 500)
    return "the proxy's rules refuse this host: ask its admins, or list the host in NO_PROXY";
  return 'the proxy could not reach the host: check the network, or run again later';
}
