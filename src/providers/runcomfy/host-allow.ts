/**
 * Which hosts outputs may be downloaded from. Production trusts only RunComfy's own domains
 * over https; tests and the emulator add exact hosts (e.g. `127.0.0.1`) through
 * `KONTEXT_ALLOW_HOSTS`. Hosts are compared after URL parsing, so userinfo tricks
 * (`https://cdn.runcomfy.net@evil.com/`) and look-alikes (`runcomfy.net.evil.com`) fail.
 */
import { isIP } from 'node:net';

/** Domains whose subdomains serve RunComfy outputs. */
const TRUSTED_SUFFIXES: readonly string[] = ['.runcomfy.net', '.runcomfy.com'];

/**
 * A refusal's `byHost`: whether it is about the host, so naming the host in `KONTEXT_ALLOW_HOSTS`
 * could admit it; not for an unparsable URL, a scheme other than http(s), or credentials in the URL.
 */
export type HostVerdict =
  | { readonly ok: true; readonly host: string }
  | { readonly ok: false; readonly host: string; readonly reason: string; readonly byHost: boolean };

/** Lower-case host without brackets or a trailing dot: the form both rules compare. */
function canonicalHost(hostname: string): string {
  return hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** Normalise one `KONTEXT_ALLOW_HOSTS` entry: bare host, or `host:port` for a stricter match. */
function canonicalEntry(entry: string): string {
  const e = entry.trim().toLowerCase();
  const v6 = /^\[([^\]]+)\](:\d+)?$/.exec(e);
  if (v6) return `${v6[1]}${v6[2] ?? ''}`;
  return e.replace(/\.$/, '').replace(/\.:/, ':');
}

/** RunComfy's own rule: a subdomain of `runcomfy.net` / `runcomfy.com`. */
function isRunComfyHost(host: string): boolean {
  return TRUSTED_SUFFIXES.some((s) => host.endsWith(s) && host.length > s.length);
}

/**
 * Check a URL against the allow-list. Never throws; unparsable URLs are refused. `trusted` is
 * the provider's own rule for its hosts (https only); RunComfy's by default.
 */
export function checkHost(
  url: string,
  extraHosts: readonly string[] = [],
  trusted: (host: string) => boolean = isRunComfyHost,
): HostVerdict {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, host: '(unparsable URL)', reason: 'the URL cannot be parsed', byHost: false };
  }
  const host = canonicalHost(u.hostname);
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return { ok: false, host, reason: `scheme ${u.protocol} is not allowed (only http and https)`, byHost: false };
  if (u.username !== '' || u.password !== '')
    return { ok: false, host, reason: 'URLs with credentials are not allowed', byHost: false };
  const extras = extraHosts.map(canonicalEntry).filter((e) => e !== '');
  const withPort = u.port ? `${host}:${u.port}` : host;
  if (extras.includes(host) || extras.includes(withPort)) return { ok: true, host };
  if (isIP(host) !== 0) return { ok: false, host, reason: 'IP addresses are not on the allow-list', byHost: true };
  if (!trusted(host)) {
    return { ok: false, host, reason: 'the host is not on the allow-list', byHost: true };
  }
  if (u.protocol !== 'https:')
    return { ok: false, host, reason: 'plain http is only allowed for hosts in KONTEXT_ALLOW_HOSTS', byHost: true };
  return { ok: true, host };
}

/** Parse `KONTEXT_ALLOW_HOSTS`-style text: comma (or whitespace) separated hosts. */
export function parseAllowHosts(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
