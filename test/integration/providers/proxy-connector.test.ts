/**
 * The connector of util/proxy-dispatcher.ts against a proxy that misbehaves (test/helpers/
 * connect-proxy.ts on 127.0.0.1): a CONNECT closed, reset or never answered fails the request
 * once, as a failure before anything was sent (never "maybe paid"), within the connect timeout,
 * where undici's ProxyAgent reconnected in a tight loop for ever; TLS to an https:// target runs
 * inside the tunnel, checked against the dispatcher's trust, a certificate it does not trust
 * failing before any byte of the request.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isNotSentCode, networkCodeOf } from '../../../src/providers/runcomfy/net-errors.js';
import { dispatcherFor, mayHaveSent } from '../../../src/util/proxy-dispatcher.js';
import { startTestProxy, type TestProxy } from '../../helpers/connect-proxy.js';
import { ensureBuilt } from '../../helpers/cli-spawn.js';
import { REPO_ROOT } from '../../helpers/run-fixtures.js';

const distModule = (path: string): string => join(REPO_ROOT, 'dist', path);
const execFileAsync = promisify(execFile);

const TLS_DIR = new URL('../../fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('localhost.crt', TLS_DIR));
const key = readFileSync(new URL('localhost.key', TLS_DIR));

let proxy: TestProxy;
let plain: Server;
let secure: Server;
const portOf = (s: { address(): unknown }): number => (s.address() as AddressInfo).port;

beforeAll(async () => {
  await ensureBuilt();
  proxy = await startTestProxy();
  plain = createServer((_req, res) => res.end('plain hello'));
  secure = createHttpsServer({ cert, key }, (_req, res) => res.end('secure hello'));
  await Promise.all([plain, secure].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([plain, secure].map((s) => new Promise((r) => s.close(r))));
});
afterEach(() => {
  proxy.misbehave(null);
});

async function get(url: string, env: Record<string, string>, connect: object = {}): Promise<string> {
  const dispatcher = dispatcherFor(env, { connect: { timeout: 400, ...connect } });
  try {
    const res = await request(url, { dispatcher });
    return await res.body.text();
  } finally {
    await dispatcher.destroy();
  }
}

const via = (): Record<string, string> => ({ http_proxy: proxy.url, https_proxy: proxy.url });

describe('the proxy connector (undici, our own tunnel)', () => {
  it('reaches an http:// and, TLS inside the tunnel, an https:// target', async () => {
    const before = proxy.tunnels.length;
    expect(await get(`http://127.0.0.1:${portOf(plain)}/`, via())).toBe('plain hello');
    expect(await get(`https://localhost:${portOf(secure)}/`, via(), { ca: cert })).toBe('secure hello');
    expect(proxy.tunnels.slice(before).map((t) => t.target)).toEqual([
      `127.0.0.1:${portOf(plain)}`,
      `localhost:${portOf(secure)}`,
    ]);
  });

  it.each(['close', 'reset', 'silent'] as const)(
    'a proxy that misbehaves on the CONNECT (%s) fails the request once, as nothing sent',
    async (mode) => {
      proxy.misbehave(mode);
      const before = proxy.tunnels.length;
      const error = await get(`http://127.0.0.1:${portOf(plain)}/`, via()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      const code = networkCodeOf(error);
      expect(code, String(error)).toBeDefined();
      expect(isNotSentCode(code ?? '')).toBe(true);
      expect(code).toEqual(
        mode === 'silent' ? 'UND_ERR_CONNECT_TIMEOUT' : expect.stringMatching(/^proxy tunnel failed/),
      );
      // One attempt (undici's ProxyAgent made ~100,000 a minute here).
      expect(proxy.tunnels.length - before).toBe(1);
    },
  );

  it('an https:// target whose certificate is not trusted fails before the request, not sent', async () => {
    const error = await get(`https://localhost:${portOf(secure)}/`, via()).then(
      () => null,
      (e: unknown) => e,
    );
    const code = networkCodeOf(error);
    expect(code, String(error)).toMatch(/SELF_SIGNED|UNABLE_TO|CERT_/);
    expect(isNotSentCode(code ?? '')).toBe(true);
  });

  it("an https:// proxy by IP is checked against its own certificate's IP; an untrusted one is said so", async () => {
    // TLS to the proxy itself trusts the default store and NODE_EXTRA_CA_CERTS, read at start-up:
    // a child process. The test certificate covers localhost and 127.0.0.1.
    const front = createTlsServer({ cert, key }, (s) => {
      const up = netConnect(proxy.port, '127.0.0.1');
      s.pipe(up).pipe(s);
      up.on('error', () => s.destroy());
      s.on('error', () => up.destroy());
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    proxy.map('api.kontext-proxy.invalid', portOf(plain));
    try {
      const script = [
        `const { dispatcherFor } = await import(${JSON.stringify(distModule('util/proxy-dispatcher.js'))});`,
        `const { codedFailure } = await import(${JSON.stringify(distModule('providers/runcomfy/net-failure.js'))});`,
        `const { networkCodeOf } = await import(${JSON.stringify(distModule('providers/runcomfy/net-errors.js'))});`,
        `const { request } = await import('undici');`,
        `const url = 'http://api.kontext-proxy.invalid:${portOf(plain)}/';`,
        `const env = { http_proxy: 'https://127.0.0.1:${portOf(front)}' };`,
        'const d = dispatcherFor(env, { connect: { timeout: 3000 } });',
        'try { const r = await request(url, { dispatcher: d }); console.log(await r.body.text()); }',
        'catch (e) { const code = networkCodeOf(e); const f = codedFailure(code, d, url);',
        '  console.log(JSON.stringify({ code, text: f.text, retryable: f.retryable })); }',
        'await d.destroy();',
      ].join('\n');
      // Not execFileSync: the proxy and the servers live in this process.
      const run = async (env: Record<string, string>): Promise<string> => {
        const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
          env: { PATH: process.env['PATH'] ?? '', ...env },
        });
        return stdout.trim();
      };
      expect(await run({ NODE_EXTRA_CA_CERTS: fileURLToPath(new URL('localhost.crt', TLS_DIR)) })).toBe('plain hello');
      const untrusted = JSON.parse(await run({})) as { code: string; text: string; retryable: boolean };
      expect(untrusted.code).toMatch(/^proxy tunnel failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED|UNABLE_TO)/);
      expect(untrusted.text).toMatch(/^the certificate of the proxy https:\/\/127\.0\.0\.1:\d+ is not trusted/);
      expect(untrusted.retryable).toBe(false);
    } finally {
      await new Promise((r) => front.close(r));
    }
  });

  it('mayHaveSent: false only while no connection to the origin was ever handed over', async () => {
    const url = `http://127.0.0.1:${portOf(plain)}/`;
    const silent = dispatcherFor(via(), { connect: { timeout: 400 } });
    const open = dispatcherFor(via(), { connect: { timeout: 400 } });
    try {
      proxy.misbehave('silent');
      const since = performance.now();
      await request(url, { dispatcher: silent }).catch(() => undefined);
      expect(mayHaveSent(silent, url, since)).toBe(false);
      proxy.misbehave(null);
      await (await request(url, { dispatcher: open })).body.text();
      // A kept-alive connection could carry a request started later: it may have been sent.
      expect(mayHaveSent(open, url, performance.now())).toBe(true);
    } finally {
      await Promise.all([silent.destroy(), open.destroy()]);
    }
  });

  it('NO_PROXY: straight to the host, no tunnel', async () => {
    const before = proxy.tunnels.length;
    expect(await get(`http://127.0.0.1:${portOf(plain)}/`, { ...via(), NO_PROXY: '127.0.0.1' })).toBe('plain hello');
    expect(proxy.tunnels.length).toBe(before);
  });
});
