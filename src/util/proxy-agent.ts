/**
 * Node `http.Agent`s that reach a host through the proxy of the environment (util/proxy.ts) with
 * a CONNECT tunnel, for a client that takes Node agents rather than undici's dispatchers: the AWS
 * SDK (S3 hosting, hosting/s3-client.ts). An https:// target's TLS runs end to end inside the
 * tunnel (`tls.connect` over it, named by the target's host): the proxy sees the host and port,
 * never the request. An https:// proxy is spoken to over TLS itself (the default trust store,
 * `NODE_EXTRA_CA_CERTS` included). A host `NO_PROXY` lists is connected to directly.
 *
 * The proxy URL's user and password go to the proxy only, as `Proxy-Authorization: Basic`; a
 * failure names the proxy without them ({@link proxyLabel}).
 */
import { Agent as HttpAgent, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { proxyFor, proxyLabel, type ProxySettings, proxySettingsOf, TunnelRefusedError } from './proxy.js';

type Env = Readonly<Record<string, string | undefined>>;
type Created = (err: Error | null, stream: Duplex) => void;

/** `host:port` as a CONNECT names it (an IPv6 address in brackets). */
export function authorityOf(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `Proxy-Authorization` for the user and password in `proxy` (percent-decoded), if any. */
function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === '' && proxy.password === '') return {};
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(pair).toString('base64')}` };
}

/** The target of a connection an agent is asked for. */
function targetOf(options: ClientRequestArgs, secure: boolean): { host: string; port: number } {
  const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
  const port = Number(options.port) || (secure ? 443 : 80);
  return { host, port };
}

/**
 * Open a CONNECT tunnel through `proxyUrl` to `host:port`; `done` gets its socket, or the error:
 * a {@link TunnelRefusedError}, the proxy unreachable (its code kept, the proxy named), or a
 * timeout (`ETIMEDOUT`) when no tunnel stands within `timeoutMs`. Returns what gives it up now
 * (`done` gets `reason`).
 */
export function openTunnel(
  proxyUrl: string,
  target: { host: string; port: number },
  timeoutMs: number,
  done: (err: Error | null, socket?: Socket) => void,
): (reason: Error) => void {
  const proxy = new URL(proxyUrl);
  const label = proxyLabel(proxyUrl);
  const authority = authorityOf(target.host, target.port);
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  const overTls = proxy.protocol === 'https:';
  const options: HttpsRequestOptions = {
    host: proxyHost,
    port: Number(proxy.port) || (overTls ? 443 : 80),
    method: 'CONNECT',
    path: authority,
    headers: { host: authority, ...proxyAuthorization(proxy) },
    agent: false,
    // The proxy's own certificate is checked against the proxy's name: '' for an IP (no SNI), else
    // Node would take the name from the Host header, the target's.
    ...(overTls ? { servername: isIP(proxyHost) === 0 ? proxyHost : '' } : {}),
  };
  let settled = false;
  const finish = (err: Error | null, socket?: Socket): void => {
    if (settled) {
      socket?.destroy();
      return;
    }
    settled = true;
    clearTimeout(timer);
    done(err, socket);
  };
  const req: ClientRequest = (overTls ? httpsRequest : httpRequest)(options);
  const timer = setTimeout(() => {
    const e = Object.assign(new Error(`no tunnel through the proxy ${label} within ${timeoutMs} ms`), {
      code: 'ETIMEDOUT',
    });
    finish(e);
    req.destroy();
  }, timeoutMs);
  req.once('connect', (res: IncomingMessage, socket: Socket, head: Buffer) => {
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      socket.destroy();
      finish(new TunnelRefusedError(status, label, authority));
      return;
    }
    if (head.length > 0) socket.unshift(head);
    finish(null, socket);
  });
  req.once('error', (e: Error & { code?: unknown }) => {
    const code = typeof e.code === 'string' ? e.code : undefined;
    // `atProxy`: the proxy's connection or its own TLS failed (its certificate, not the target's).
    const error = Object.assign(new Error(`could not reach the proxy ${label}: ${e.message}`), { atProxy: true });
    finish(code === undefined ? error : Object.assign(error, { code }));
  });
  req.end();
  return (reason) => {
    finish(reason);
    req.destroy();
  };
}

/**
 * TLS to the target `host` over `socket` (a tunnel to it), with `options` (its trust): checked
 * against `servername` when one is asked for, else against `host`; an IP is sent as no server
 * name (SNI carries names only) and checked as the address it is.
 */
export function tlsToTarget(
  socket: Socket,
  host: string,
  servername: string | null | undefined,
  options: ConnectionOptions = {},
): TLSSocket {
  const named = servername !== undefined && servername !== null && servername !== '' ? servername : host;
  return tlsConnect({ ...options, host, socket, ...(isIP(named) === 0 ? { servername: named } : {}) });
}

/**
 * Make `socket` (a tunnel to `options`' host) the connection asked for: as it is for http://,
 * with TLS to the target inside it for https:// (the request's TLS options kept).
 */
function overTunnel(options: ClientRequestArgs, socket: Socket, secure: boolean): Duplex {
  if (!secure) return socket;
  const { path: _path, ...tlsOptions } = options;
  const { host } = targetOf(options, true);
  return tlsToTarget(socket, host, (options as ConnectionOptions).servername, tlsOptions as ConnectionOptions);
}

/** Where an agent's connections go: the proxy URL for a target, or `null` for a direct one. */
type Route = (secure: boolean, options: ClientRequestArgs) => string | null;

/** The connection an agent asked for, through the proxy `route` names, else `direct`. */
function connectVia(
  route: Route,
  secure: boolean,
  timeoutMs: number,
  options: ClientRequestArgs,
  created: Created,
  direct: () => Duplex | null | undefined,
): Duplex | null | undefined {
  const proxy = route(secure, options);
  if (proxy === null) return direct();
  openTunnel(proxy, targetOf(options, secure), timeoutMs, (err, socket) => {
    if (err !== null || socket === undefined) return created(err ?? new Error('no tunnel'), undefined as never);
    let stream: Duplex;
    try {
      stream = overTunnel(options, socket, secure);
    } catch (e) {
      socket.destroy();
      return created(e instanceof Error ? e : new Error(String(e)), undefined as never);
    }
    created(null, stream);
  });
  return undefined;
}

class TunnelHttpAgent extends HttpAgent {
  constructor(
    private readonly route: Route,
    private readonly timeoutMs: number,
  ) {
    super({ keepAlive: true, maxSockets: 50 });
  }
  override createConnection(options: ClientRequestArgs, created: Created): Duplex | null | undefined {
    return connectVia(this.route, false, this.timeoutMs, options, created, () =>
      super.createConnection(options, created),
    );
  }
}

class TunnelHttpsAgent extends HttpsAgent {
  constructor(
    private readonly route: Route,
    private readonly timeoutMs: number,
  ) {
    super({ keepAlive: true, maxSockets: 50 });
  }
  override createConnection(options: HttpsRequestOptions, created: Created): Duplex | null | undefined {
    return connectVia(this.route, true, this.timeoutMs, options, created, () =>
      super.createConnection(options, created),
    );
  }
}

/** The URL a connection to `options`' host goes to, for {@link proxyFor}'s rules. */
function routeBy(settings: ProxySettings): Route {
  return (secure, options) => {
    const { host, port } = targetOf(options, secure);
    return proxyFor(`${secure ? 'https' : 'http'}://${authorityOf(host, port)}/`, settings);
  };
}

/**
 * An http and an https agent (keep-alive, 50 sockets, as the AWS SDK makes its own) that tunnel
 * through the proxies of `env` (never the process's own environment), a host `NO_PROXY` lists
 * directly; `null` when `env` names no proxy (the client's own agents then, as before). A tunnel
 * not standing within `timeoutMs` fails with `ETIMEDOUT`. Throws {@link proxySettingsOf}'s
 * UsageError for a proxy that is not an http(s) URL.
 */
export function proxyAgentsFor(env: Env, timeoutMs: number): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } | null {
  const settings = proxySettingsOf(env);
  if (settings === null) return null;
  const route = routeBy(settings);
  return { httpAgent: new TunnelHttpAgent(route, timeoutMs), httpsAgent: new TunnelHttpsAgent(route, timeoutMs) };
}
