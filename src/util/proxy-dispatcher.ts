/**
 * undici dispatchers through the proxies of the environment (util/proxy.ts's rules, `proxyFor`
 * the one rule for every connection): an `Agent` whose connector opens each proxied connection
 * itself, a CONNECT tunnel (util/proxy-agent.ts `openTunnel`) and, for an https:// target, TLS
 * to the target inside it; a host `NO_PROXY` lists (and every host, when no proxy is named) goes
 * through undici's own connector, its connections counted as the tunnels are (`mayHaveSent`). See
 * docs/architecture.md#proxies.
 *
 * Our connector, not undici's ProxyAgent: a proxy that dropped the connection during the CONNECT
 * made ProxyAgent reconnect in a tight loop for ever (its failure is undici's recoverable
 * `UND_ERR_SOCKET`: the request stayed queued; a run hung, deaf to Ctrl-C), the client's connect
 * timeout did not cover the tunnel (a silent proxy held a submit 300 s), and a failure before the
 * tunnel stood came out as one after a connection (a reset: "maybe paid"). Here, anything that
 * fails before the connection is handed to undici is `PROXY_TUNNEL_FAILED` (nothing was sent:
 * providers/runcomfy/net-errors.ts), a refusal is a {@link TunnelRefusedError}, and the whole
 * tunnel and its TLS handshake must stand within the connect timeout.
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import {
  isCertCheckCode,
  proxyFor,
  proxyLabel,
  type ProxySettings,
  proxySettingsOf,
  TunnelRefusedError,
} from './proxy.js';
import { authorityOf, openTunnel, tlsToTarget } from './proxy-agent.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A failure before the tunnel (and its TLS) stood: nothing of the request was sent. */
class TunnelFailedError extends Error {
  override readonly name = 'TunnelFailedError';
  readonly code = 'PROXY_TUNNEL_FAILED';
  constructor(
    message: string,
    /** The underlying code (`ECONNRESET`, `ECONNREFUSED`, …), when there is one. */
    readonly reason: string | undefined,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The proxy settings each dispatcher was made with (for messages: {@link proxyOfDispatcher}). */
const proxiesOf = new WeakMap<Dispatcher, ProxySettings>();

/** Of a proxied dispatcher, by origin: its connections handed to undici still open, and when the last was. */
type Handed = Map<string, { live: number; last: number }>;
const handedOf = new WeakMap<Dispatcher, Handed>();

/**
 * An undici dispatcher with `options`: through the proxies of `env` when it names any (never the
 * process's own environment: a library's embedder decides with the runtime's `env`), else direct.
 * Either way its connections are made here, so {@link mayHaveSent} knows which were handed over.
 * Throws util/proxy.ts's UsageError for a proxy variable that is not an http(s) URL.
 */
export function dispatcherFor(env: Env | null, options: Agent.Options): Dispatcher {
  const settings = env === null ? null : proxySettingsOf(env);
  const connectOptions = typeof options.connect === 'object' && options.connect !== null ? options.connect : {};
  const timeoutMs = connectOptions.timeout ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const direct = buildConnector({ ...connectOptions, timeout: timeoutMs });
  const handed: Handed = new Map();
  const connecting = new Set<(reason: Error) => void>();
  const connect: buildConnector.connector = (opts, callback) => {
    const secure = opts.protocol === 'https:';
    const port = Number(opts.port) || (secure ? 443 : 80);
    const target = { host: opts.hostname, port };
    const origin = originOf(opts.protocol, target.host, port);
    let cancel: ((reason: Error) => void) | undefined;
    const done = ((err: Error | null, socket: Socket | null) => {
      if (cancel !== undefined) connecting.delete(cancel);
      if (err === null && socket !== null) noteHanded(handed, origin, socket);
      (callback as (e: Error | null, s: Socket | null) => void)(err, socket);
    }) as buildConnector.Callback;
    const proxy = settings === null ? null : proxyFor(`${origin}/`, settings);
    if (proxy === null) {
      // undici's connector returns the socket it is connecting (its type says void).
      const socket = (direct as (...a: Parameters<typeof direct>) => unknown)(opts, done) as Socket | undefined;
      cancel = (reason) => socket?.destroy(reason);
    } else {
      const tls = { ...tlsOf(connectOptions), servername: opts.servername ?? null };
      cancel = tunnelTo(proxy, target, secure, tls, timeoutMs, done);
    }
    connecting.add(cancel);
  };
  const dispatcher = new Agent({ ...options, connect });
  if (settings !== null) proxiesOf.set(dispatcher, settings);
  handedOf.set(dispatcher, handed);
  connectingOf.set(dispatcher, connecting);
  return dispatcher;
}

/** Of a dispatcher of {@link dispatcherFor}: what gives up each connection it is making. */
const connectingOf = new WeakMap<Dispatcher, Set<(reason: Error) => void>>();

/**
 * Give up the connections `dispatcher` is making (undici gets the failure): for a dispatcher no
 * request of which is waiting for one any more, whose connects would keep the process alive up
 * to their timeout.
 */
export function cancelConnects(dispatcher: Dispatcher): void {
  const connecting = connectingOf.get(dispatcher);
  if (connecting === undefined) return;
  for (const cancel of [...connecting]) cancel(new Error('connection given up: the dispatcher is closed'));
  connecting.clear();
}

/** Open the tunnel and, for https://, TLS inside it; `callback` once, with the socket or the failure. */
function tunnelTo(
  proxy: string,
  target: { host: string; port: number },
  secure: boolean,
  tlsOptions: TargetTls,
  timeoutMs: number,
  callback: buildConnector.Callback,
): (reason: Error) => void {
  const label = proxyLabel(proxy);
  const authority = authorityOf(target.host, target.port);
  let done = false;
  let tls: TLSSocket | null = null;
  const finish = (err: Error | null, socket?: Socket): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (err !== null) {
      tls?.destroy();
      callback(failure(err, label, authority), null);
    } else callback(null, socket as Socket);
  };
  const timer = setTimeout(() => {
    const e = Object.assign(new Error(`no tunnel through the proxy ${label} to ${authority} within ${timeoutMs} ms`), {
      code: 'UND_ERR_CONNECT_TIMEOUT',
    });
    finish(e);
  }, timeoutMs);
  const giveUp = openTunnel(proxy, target, timeoutMs, (err, socket) => {
    if (err !== null || socket === undefined) return finish(err ?? new Error('no tunnel'));
    if (done) return socket.destroy();
    if (!secure) return finish(null, socket);
    const { servername, ...trust } = tlsOptions;
    tls = tlsToTarget(socket, target.host, servername, { ...trust, ALPNProtocols: ['http/1.1'] });
    tls.once('secureConnect', () => finish(null, tls as TLSSocket));
    tls.once('error', (e: Error) => finish(e));
  });
  return (reason) => {
    finish(reason);
    giveUp(reason);
  };
}

/** What the target's TLS takes of the dispatcher's connect options (its trust), and the server name undici asks for. */
type TargetTls = Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> & {
  readonly servername: string | null;
};

function tlsOf(o: buildConnector.BuildOptions): Omit<TargetTls, 'servername'> {
  const { ca, cert, key, rejectUnauthorized } = o as ConnectionOptions;
  return {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
  };
}

/**
 * What undici is told of a tunnel that did not stand: a refusal and a timeout as they are, a
 * certificate check as it is (its code says what), anything else {@link TunnelFailedError}.
 */
function failure(err: Error, label: string, authority: string): Error {
  const code = (err as { code?: unknown }).code;
  if (err instanceof TunnelRefusedError || code === 'UND_ERR_CONNECT_TIMEOUT') return err;
  // The target's certificate, checked inside the tunnel, as it is; the proxy's own is the tunnel's failure.
  const atProxy = (err as { atProxy?: unknown }).atProxy === true;
  if (typeof code === 'string' && isCertCheckCode(code) && !atProxy) return err;
  const reason = typeof code === 'string' ? code : undefined;
  // openTunnel's own words name the proxy already.
  const words = atProxy ? err.message : `the tunnel through the proxy ${label} to ${authority} failed: ${err.message}`;
  return new TunnelFailedError(words, reason, { cause: err });
}

/** The key of an origin in {@link Handed}: `https://host:443` (an IPv6 host in brackets). */
function originOf(protocol: string, host: string, port: number): string {
  return `${protocol}//${authorityOf(host, port)}`;
}

/** A connection to `origin` handed to undici: counted while it is open. */
function noteHanded(handed: Handed, origin: string, socket: Socket): void {
  const entry = handed.get(origin) ?? { live: 0, last: 0 };
  entry.live++;
  entry.last = performance.now();
  handed.set(origin, entry);
  socket.once('close', () => {
    entry.live--;
  });
}

/**
 * Whether a request to `url` over `dispatcher`, started at `sinceMs` (`performance.now()`), can
 * have been written: false only for a dispatcher of {@link dispatcherFor} that had no connection
 * to its origin open then and handed none over since (a proxy that never answered the CONNECT, a
 * TLS handshake that stalled): undici writes a request on a connection of its origin only. Any
 * other dispatcher: true (not known).
 */
export function mayHaveSent(dispatcher: Dispatcher, url: string, sinceMs: number): boolean {
  const handed = handedOf.get(dispatcher);
  if (handed === undefined) return true;
  let origin: string;
  try {
    const u = new URL(url);
    origin = originOf(
      u.protocol,
      u.hostname.replace(/^\[|\]$/g, ''),
      Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
    );
  } catch {
    return true;
  }
  const entry = handed.get(origin);
  return entry !== undefined && (entry.live > 0 || entry.last >= sinceMs);
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
