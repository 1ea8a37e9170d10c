/**
 * Who may talk to the watch server. It listens on loopback only, but any page the user has open
 * can still make the browser send requests to 127.0.0.1, and a DNS-rebinding page can even read
 * the answers under its own host name. So every request must name this server in `Host`
 * (`127.0.0.1:<port>` or `localhost:<port>`), and a request that changes something (a pick)
 * must also come from this origin and carry the per-session token embedded in the served page.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function hostsFor(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function hostAllowed(req: IncomingMessage, hosts: ReadonlySet<string>): boolean {
  const host = req.headers.host;
  return typeof host === 'string' && hosts.has(host.toLowerCase());
}

/** A state-changing request: same origin (an `Origin` header is required) and the right token. */
export function writeAllowed(req: IncomingMessage, hosts: ReadonlySet<string>, token: string): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !origin.startsWith('http://') || !hosts.has(origin.slice(7).toLowerCase()))
    return false;
  const given = req.headers['x-kontext-token'];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
