/**
 * An HTTP proxy for tests, on 127.0.0.1 (port 0): it answers `CONNECT host:port` by opening a
 * TCP connection and piping both ways, as a corporate proxy does, and records every tunnel asked
 * for. Names the test made up (`api.example.invalid`) can be mapped to a local port: the proxy
 * resolves them, the client never does, so a request that reaches the mapped server proves it
 * went through the proxy. It can ask for credentials (`407` without the right
 * `Proxy-Authorization`), refuse every tunnel with a status of the test's choosing, or misbehave:
 * close the connection on a CONNECT, reset it, or never answer.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ProxyTunnel {
  /** `host:port` as the client asked for it. */
  readonly target: string;
  /** The status the proxy answered the CONNECT with; 0 when it misbehaved (closed, reset, silent). */
  readonly status: number;
  /** The `Proxy-Authorization` header sent, if any. */
  readonly authorization: string | undefined;
}

export interface TestProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly tunnels: ProxyTunnel[];
  /** Send tunnels to `host` (any port) to 127.0.0.1:`port` instead. */
  map(host: string, port: number): void;
  /** From now on, require this user and password (`407` otherwise). */
  requireAuth(user: string, password: string): void;
  /** From now on, answer every CONNECT with this status (`null`: tunnel again). */
  refuse(status: number | null): void;
  /** From now on, on every CONNECT: close the connection, reset it, or say nothing (`null`: behave). */
  misbehave(mode: 'close' | 'reset' | 'silent' | null): void;
  close(): Promise<void>;
}

export async function startTestProxy(): Promise<TestProxy> {
  const tunnels: ProxyTunnel[] = [];
  const mapped = new Map<string, number>();
  const sockets = new Set<Socket>();
  let auth: string | null = null;
  let refusal: number | null = null;
  let misbehaving: 'close' | 'reset' | 'silent' | null = null;
  const server: Server = createServer((_req, res) => {
    res.writeHead(405, { 'content-type': 'text/plain' }).end('this test proxy only tunnels (CONNECT)\n');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const target = req.url ?? '';
    const authorization = req.headers['proxy-authorization'];
    const answer = (status: number, reason: string): void => {
      tunnels.push({ target, status, authorization });
      const extra = status === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : '';
      client.end(`HTTP/1.1 ${status} ${reason}\r\n${extra}Content-Length: 0\r\n\r\n`);
    };
    if (misbehaving !== null) {
      tunnels.push({ target, status: 0, authorization });
      if (misbehaving === 'close') client.end();
      if (misbehaving === 'reset') client.resetAndDestroy();
      return;
    }
    if (refusal !== null) return answer(refusal, 'Refused');
    if (auth !== null && authorization !== auth) return answer(407, 'Proxy Authentication Required');
    const at = target.lastIndexOf(':');
    const host = target.slice(0, at).replace(/^\[|\]$/g, '');
    const port = mapped.get(host) ?? Number(target.slice(at + 1));
    const upstream = connect({ host: mapped.has(host) ? '127.0.0.1' : host, port });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('error', () => {
      if (!client.writableEnded && tunnels.at(-1)?.target !== target) answer(502, 'Bad Gateway');
      client.destroy();
    });
    upstream.once('connect', () => {
      tunnels.push({ target, status: 200, authorization });
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    map: (host, to) => mapped.set(host, to),
    requireAuth: (user, password) => {
      auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    },
    refuse: (status) => {
      refusal = status;
    },
    misbehave: (mode) => {
      misbehaving = mode;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
