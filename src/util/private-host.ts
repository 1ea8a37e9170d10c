/**
 * Whether a URL points at this machine or a private network: loopback (`localhost`, 127/8,
 * `::1`), private (RFC 1918: 10/8, 172.16/12, 192.168/16; IPv6 unique local fc00::/7),
 * link-local (169.254/16, fe80::/10) or unspecified (0.0.0.0, `::`). A public API can never
 * fetch such a URL. Names other than `localhost` are not resolved: only literal addresses count.
 */
import { isIP } from 'node:net';

function ipv4Kind(ip: string): string | null {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private-network';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 0) return 'unspecified';
  return null;
}

function ipv6Kind(ip: string): string | null {
  const h = ip.toLowerCase();
  // IPv4-mapped, as URL parsing writes it: ::ffff:7f00:1 is 127.0.0.1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (mapped) {
    const [hi, lo] = [Number.parseInt(mapped[1] ?? '0', 16), Number.parseInt(mapped[2] ?? '0', 16)];
    return ipv4Kind(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (dotted) return ipv4Kind(dotted[1] ?? '');
  if (h === '::1') return 'loopback';
  if (h === '::') return 'unspecified';
  if (/^f[cd][0-9a-f]{0,2}:/.test(h)) return 'private-network';
  if (/^fe[89ab][0-9a-f]?:/.test(h)) return 'link-local';
  return null;
}

/** `loopback`, `private-network`, `link-local` or `unspecified`; `null` for a public (or unparsable) URL. */
export function privateUrlKind(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname
      .toLowerCase()
      .replace(/^\[|\]$/g, '')
      .replace(/\.$/, '');
  } catch {
    return null;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  const family = isIP(host);
  if (family === 4) return ipv4Kind(host);
  if (family === 6) return ipv6Kind(host);
  return null;
}
