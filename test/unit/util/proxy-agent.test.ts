/**
 * The Node agents that tunnel through a proxy (src/util/proxy-agent.ts), against real servers on
 * loopback: the test proxy, an https server with the test certificate (test/fixtures/tls/), and
 * a TLS front standing for an https:// proxy. TLS to the target runs inside the tunnel, checked
 * against the target's name.
 */
import { readFileSync } from 'node:fs';
import { get as httpGet, type Agent as HttpAgent, createServer as createHttpServer, type Server } from 'node:http';
import { get as httpsGet, type Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TunnelRefusedError } from '../../../src/util/proxy.js';
import { proxyAgentsFor } from '../../../src/util/proxy-agent.js';
import { startTestProxy, type TestProxy } from '../../helpers/connect-proxy.js';

const TLS_DIR = new URL('../../fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('localhost.crt', TLS_DIR));
const key = readFileSync(new URL('localhost.key', TLS_DIR));

let proxy: TestProxy;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  proxy = await startTestProxy();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await proxy.close();
});

async function listen(server: Server | ReturnType<typeof createTlsServer>): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** An https server answering `hello <server name>`. */
async function startHttpsServer(): Promise<number> {
  return listen(
    createHttpsServer({ key, cert }, (req, res) => {
      res.end(`hello ${(req.socket as TLSSocket).servername || '(no name)'}`);
    }),
  );
}

function agentsFor(env: Record<string, string>): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const agents = proxyAgentsFor(env, 5_000);
  if (agents === null) throw new Error('expected proxy agents');
  closers.push(async () => {
    agents.httpAgent.destroy();
    agents.httpsAgent.destroy();
  });
  return agents;
}

/** GET `url` with `agent` (and `ca` for https): the status and body, or the error. */
function fetchWith(url: string, agent: HttpAgent, withCa = true): Promise<{ status: number; body: string }> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { agent, ...(withCa ? { ca: cert } : {}) }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('agents through a proxy', () => {
  it('none without a proxy in the env (the process env is never read)', () => {
    expect(proxyAgentsFor({ NO_PROXY: '*' }, 1000)).toBeNull();
  });

  it('https: TLS to the target inside the CONNECT tunnel, named and checked by its host', async () => {
    const port = await startHttpsServer();
    const { httpsAgent } = agentsFor({ HTTPS_PROXY: proxy.url });
    expect(await fetchWith(`https://localhost:${port}/`, httpsAgent)).toEqual({ status: 200, body: 'hello localhost' });
    // Kept alive: a second request rides the same tunnel.
    expect(await fetchWith(`https://localhost:${port}/again`, httpsAgent)).toMatchObject({ status: 200 });
    expect(proxy.tunnels).toEqual([{ target: `localhost:${port}`, status: 200, authorization: undefined }]);

    // The target's certificate is checked, not waved through: without its CA the request fails.
    const other = agentsFor({ HTTPS_PROXY: proxy.url });
    await expect(fetchWith(`https://localhost:${port}/`, other.httpsAgent, false)).rejects.toThrow(/self[- ]signed/i);
  });

  it('http: the tunnel is the connection; the proxy gets its percent-decoded credentials', async () => {
    proxy.requireAuth('bob', 's3cret:@/x');
    const port = await listen(createHttpServer((_req, res) => res.end('plain')));
    const { httpAgent } = agentsFor({
      http_proxy: `http://bob:${encodeURIComponent('s3cret:@/x')}@127.0.0.1:${proxy.port}`,
    });
    expect(await fetchWith(`http://localhost:${port}/`, httpAgent)).toEqual({ status: 200, body: 'plain' });
    expect(proxy.tunnels.map((t) => [t.target, t.status])).toEqual([[`localhost:${port}`, 200]]);
  });

  it('a refused tunnel is a TunnelRefusedError naming the proxy without its password', async () => {
    proxy.requireAuth('bob', 'right-password');
    const { httpsAgent } = agentsFor({ HTTPS_PROXY: `http://bob:wrong-password@127.0.0.1:${proxy.port}` });
    const e = await fetchWith('https://localhost:1/', httpsAgent).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(TunnelRefusedError);
    expect(e).toMatchObject({ status: 407, target: 'localhost:1', proxy: `http://127.0.0.1:${proxy.port}` });
    expect((e as Error).message).toBe(
      `the proxy http://127.0.0.1:${proxy.port} refused the tunnel to localhost:1 (HTTP 407)`,
    );
  });

  it('a proxy that cannot be reached: named, its error code kept', async () => {
    const { httpAgent } = agentsFor({ HTTP_PROXY: 'http://127.0.0.1:9' });
    const e = await fetchWith('http://localhost:1/', httpAgent).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'ECONNREFUSED' });
    expect((e as Error).message).toMatch(/^could not reach the proxy http:\/\/127\.0\.0\.1:9: connect ECONNREFUSED/);
  });

  it('NO_PROXY hosts are connected to directly', async () => {
    const port = await startHttpsServer();
    const { httpsAgent } = agentsFor({ HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost' });
    expect(await fetchWith(`https://localhost:${port}/`, httpsAgent)).toEqual({ status: 200, body: 'hello localhost' });
    expect(proxy.tunnels).toEqual([]);
  });

  it('an https:// proxy is spoken to over TLS (checked against the default trust store)', async () => {
    // A TLS front to the test proxy; its certificate is not in the store, so the handshake fails:
    // proof the agent spoke TLS to the proxy and checked it (the CLI test trusts it, and tunnels).
    const front = await listen(
      createTlsServer({ key, cert }, (s) => {
        const up = connect(proxy.port, '127.0.0.1');
        up.on('error', () => s.destroy());
        s.on('error', () => up.destroy());
        s.pipe(up).pipe(s);
      }),
    );
    const { httpAgent } = agentsFor({ http_proxy: `https://localhost:${front}` });
    const e = await fetchWith('http://localhost:1/', httpAgent).catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/^could not reach the proxy https:\/\/localhost:\d+: self[- ]signed/);
    expect(proxy.tunnels).toEqual([]);
  });
});
