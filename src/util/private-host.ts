/**
 * Whether a URL points at this machine or a private network: loopback (`localhost`, 127/8,
 * `::1`), private (RFC 1918: 10/8, 172.16/12, 192.168/16; the carrier-grade NAT space 100.64/10,
 * where clouds put metadata services such as 100.100.100.200; IPv6 unique local fc00::/7, the
 * old site-local fec0::/10, local-use NAT64 64:ff9b:1::/48), link-local (169.254/16, fe80::/10) or
 * unspecified (0/8, `::`). An IPv4 address inside an IPv6 one counts as that IPv4 address:
 * mapped (`::ffff:127.0.0.1`), translated (`::ffff:0:…`), compatible (`::127.0.0.1`, which the
 * URL parser writes `::7f00:1`), NAT64 (`64:ff9b::…`) and 6to4 (`2002:7f00:1::`). A public API
 * can never fetch such a URL. Names other than `localhost` are not resolved: only literal
 * addresses count.
 */
import { isIP } from 'node:net';

function ipv4Kind(a: number, b: number): string | null {
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private-network';
  if (a === 100 && b >= 64 && b <= 127) return 'private-network';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 0) return 'unspecified';
  return null;
}

/** The kind of the IPv4 address whose first two bytes are the 16-bit group `hi`. */
function embeddedKind(hi: number): string | null {
  return ipv4Kind(hi >> 8, hi & 255);
}

/** The eight 16-bit groups of an address `isIP` says is IPv6 (a trailing dotted quad included). */
function groupsOf(ip: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const hex = quad
    ? `${ip.slice(0, quad.index)}${((Number(quad[1]) << 8) | Number(quad[2])).toString(16)}:${(
        (Number(quad[3]) << 8) | Number(quad[4])
      ).toString(16)}`
    : ip;
  const [head = '', tail] = hex.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const [h, t] = [parse(head), parse(tail ?? '')];
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

function ipv6Kind(ip: string): string | null {
  const g = groupsOf(ip.toLowerCase().replace(/%.*$/, ''));
  const zero = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const [g0 = 0, g1 = 0, g2 = 0, , g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  if (zero(0, 7) && g7 === 1) return 'loopback';
  if (zero(0, 8)) return 'unspecified';
  // Mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, compatible ::/96 (deprecated, still parsed).
  if (zero(0, 5) && g5 === 0xffff) return embeddedKind(g6);
  if (zero(0, 4) && g4 === 0xffff && g5 === 0) return embeddedKind(g6);
  if (zero(0, 6)) return embeddedKind(g6);
  if (g0 === 0x64 && g1 === 0xff9b) {
    if (zero(2, 6)) return embeddedKind(g6); // NAT64, well-known prefix
    if (g2 === 1) return 'private-network'; // local-use NAT64 (RFC 8215)
  }
  if (g0 === 0x2002) return embeddedKind(g1); // 6to4
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfec0) return 'private-network';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
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
  if (family === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return ipv4Kind(a, b);
  }
  if (family === 6) return ipv6Kind(host);
  return null;
}
