/**
 * Who may talk to the watch server. It listens on loopback only, but any page the user has open
 * can still make the browser send requests to 127.0.0.1, and a DNS-rebinding page can even read
 * the answers under its own host name. So every request must name this server in `Host`
 * (`127.0.0.1:<port>` or `localhost:<port>`), and a request that changes something (a pick)
 * must also come from this origin and carry the per-session token embedded in the served page.
 * A request another site's page makes (an `<img>`, a `fetch`, an `EventSource` pointed at this
 * server) is refused too, so it cannot even learn whether an image is there or how big it is:
 * it names a foreign `Origin`, or the browser marks it `Sec-Fetch-Site: cross-site`/`same-site`
 * (another port on this machine is the same site). A link to the page, followed, is let through.
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

/** A request made by a page of another origin (not a navigation to a link): answered 403. */
export function fromOtherSite(req: IncomingMessage, hosts: ReadonlySet<string>): boolean {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && !sameOrigin(origin, hosts)) return true;
  const site = req.headers['sec-fetch-site'];
  return (site === 'cross-site' || site === 'same-site') && req.headers['sec-fetch-mode'] !== 'navigate';
}

function sameOrigin(origin: string, hosts: ReadonlySet<string>): boolean {
  return origin.startsWith('http://') && hosts.has(origin.slice(7).toLowerCase());
}

/** A state-changing request: same origin (an `Origin` header is required) and the right token. */
export function writeAllowed(req: IncomingMessage, hosts: ReadonlySet<string>, token: string): boolean {
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !sameOrigin(origin, hosts)) return false;
  const given = req.headers['x-kontext-token'];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
