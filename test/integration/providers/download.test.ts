import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import {
  DownloadFailedError,
  DownloadHostRefusedError,
  DownloadTooLargeError,
  type ProviderError,
} from '../../../src/providers/runcomfy/errors.js';
import { syntheticByte } from '../../../src/emulator/index.js';
import { editRequest, harness, rejection, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function finishedOutput(hh: Harness): Promise<string> {
  const { requestId } = await hh.provider.submit(await editRequest());
  const { outputUrls } = await hh.provider.wait(requestId);
  return outputUrls[0]!;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('downloads from the emulator', () => {
  it('a truncated body is retried; the file is complete and nothing partial is left', async () => {
    h = await harness();
    const url = await finishedOutput(h);
    const clean = await h.provider.download(url, join(h.dir, 'clean.png'));
    h.emulator.setScenario({ faults: [{ kind: 'truncated-download', nth: 1 }] });
    const dest = join(h.dir, 'out.png');
    const got = await h.provider.download(url, dest);
    expect(got.sha256).toBe(clean.sha256);
    expect(sha(await readFile(dest))).toBe(clean.sha256);
    expect(h.retries.map((r) => r.call)).toEqual(['download']);
    expect(await h.files()).toEqual(['clean.png', 'out.png']);
  });

  it('a body truncated on every try fails after retries (exit 69) and leaves no file', async () => {
    h = await harness();
    const url = await finishedOutput(h);
    h.emulator.setScenario({ faults: [{ kind: 'truncated-download' }] });
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect((e as ProviderError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect(h.count('GET', '/files/')).toBe(4);
    expect(await h.files()).toEqual([]);
  });

  it('an oversized Content-Length is refused before reading (exit 65), no file', async () => {
    h = await harness();
    const url = await finishedOutput(h);
    h.emulator.setScenario({ faults: [{ kind: 'oversized-download', content_length: 3 * 1024 ** 3 }] });
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadTooLargeError);
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
    expect(h.retries).toEqual([]);
    expect(await h.files()).toEqual([]);
  });

  it('an output URL on an untrusted host is refused, naming the host, with no connection made', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'untrusted-output-host', host: 'evil.example.com' }] } });
    const url = await finishedOutput(h);
    expect(new URL(url).hostname).toBe('evil.example.com');
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadHostRefusedError);
    expect((e as DownloadHostRefusedError).host).toBe('evil.example.com');
    expect((e as Error).message).toContain('evil.example.com');
    expect((e as ProviderError).exitCode).toBe(ExitCode.DATA_ERR);
    expect(h.count('GET', '/files/')).toBe(0);
    expect(await h.files()).toEqual([]);
  });

  it('a large output (hashed off-thread) arrives whole, also after a truncated first try', async () => {
    h = await harness({ scenario: { faults: [{ kind: 'truncated-download', nth: 1 }] } });
    const size = 17 * 1024 * 1024 + 123; // above the 16 MiB off-thread threshold
    const url = `${h.emulator.origin}/files/synthetic/${size}.bin`;
    const got = await h.provider.download(url, join(h.dir, 'big.bin'), { expect: 'bytes' });
    const MiB = 1024 * 1024;
    const pattern = Buffer.alloc(MiB);
    for (let i = 0; i < MiB; i++) pattern[i] = syntheticByte(i);
    const expected = createHash('sha256');
    for (let i = 0; i < 17; i++) expected.update(pattern);
    expected.update(pattern.subarray(0, 123));
    expect(got.bytes).toBe(size);
    expect(got.sha256).toBe(expected.digest('hex'));
    expect(sha(await readFile(got.path))).toBe(got.sha256);
    expect(h.retries).toHaveLength(1);
    expect(await h.files()).toEqual(['big.bin']);
  });

  it('an abort mid-download rejects with the signal reason and leaves no partial file', async () => {
    h = await harness();
    const ac = new AbortController();
    const url = `${h.emulator.origin}/files/synthetic/${256 * 1024 * 1024}.bin`;
    const e = await rejection(
      h.provider.download(url, join(h.dir, 'big.bin'), {
        signal: ac.signal,
        expect: 'bytes',
        onProgress: () => ac.abort(new Error('user stop')),
      }),
    );
    expect((e as Error).message).toBe('user stop');
    expect(h.retries).toEqual([]);
    expect(await h.files()).toEqual([]);
  });

  it('the same client refuses 127.0.0.1 when it is not explicitly allowed', async () => {
    h = await harness({ client: { allowHosts: [] } });
    const url = await finishedOutput(h);
    const e = await rejection(h.provider.download(url, join(h.dir, 'out.png')));
    expect((e as DownloadHostRefusedError).host).toBe('127.0.0.1');
    expect(h.count('GET', '/files/')).toBe(0);
  });
});

/** A small file server for what the emulator does not do: redirects, chunked bodies, headers. */
interface Hit {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}
let server: Server;
let origin: string;
const hits: Hit[] = [];
let flaky = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push({ path, headers: req.headers });
    const m = /^\/(chunked|redirect|status|flaky)\/(\d+)$/.exec(path);
    if (path === '/to-untrusted') {
      res.writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/chunked/10` }).end();
    } else if (m?.[1] === 'chunked') {
      // No Content-Length: the cap must be enforced while streaming.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(Number(m[2]), 7));
    } else if (m?.[1] === 'redirect') {
      const n = Number(m[2]);
      res.writeHead(n === 0 ? 200 : 307, n === 0 ? { 'content-length': '5' } : { location: `/redirect/${n - 1}` });
      res.end(n === 0 ? 'hello' : undefined);
    } else if (m?.[1] === 'status') {
      res.writeHead(Number(m[2])).end('nope');
    } else if (m?.[1] === 'flaky') {
      flaky += 1;
      if (flaky <= Number(m[2])) res.writeHead(503, { 'retry-after': '0' }).end();
      else res.writeHead(200, { 'content-length': '2' }).end('ok');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe('downloads: redirects, caps and headers', () => {
  it('follows up to five redirects, never sending Authorization', async () => {
    h = await harness();
    hits.length = 0;
    const got = await h.provider.download(`${origin}/redirect/5`, join(h.dir, 'r.txt'), { expect: 'bytes' });
    expect(await readFile(got.path, 'utf8')).toBe('hello');
    expect(hits).toHaveLength(6);
    expect(hits.every((x) => x.headers.authorization === undefined)).toBe(true);
  });

  it('refuses a sixth redirect', async () => {
    h = await harness();
    const e = await rejection(h.provider.download(`${origin}/redirect/6`, join(h.dir, 'r.txt')));
    expect(e).toBeInstanceOf(DownloadFailedError);
    expect((e as Error).message).toMatch(/redirects/);
    expect(await h.files()).toEqual([]);
  });

  it('re-checks the host on a redirect and never connects to a refused one', async () => {
    h = await harness();
    hits.length = 0;
    const e = await rejection(h.provider.download(`${origin}/to-untrusted`, join(h.dir, 'x.bin')));
    expect((e as DownloadHostRefusedError).host).toBe('localhost');
    expect(hits.map((x) => x.path)).toEqual(['/to-untrusted']);
  });

  it('aborts and deletes the partial file when a body without Content-Length exceeds the cap', async () => {
    h = await harness({ client: { maxDownloadBytes: 100_000 } });
    const small = await h.provider.download(`${origin}/chunked/100000`, join(h.dir, 'fits.bin'), { expect: 'bytes' });
    expect(small.bytes).toBe(100_000);
    const e = await rejection(
      h.provider.download(`${origin}/chunked/300000`, join(h.dir, 'big.bin'), { expect: 'bytes' }),
    );
    expect(e).toBeInstanceOf(DownloadTooLargeError);
    expect(await h.files()).toEqual(['fits.bin']);
  });

  it('a 4xx on the output URL fails at once; a 503 is retried', async () => {
    h = await harness();
    hits.length = 0;
    const e = await rejection(h.provider.download(`${origin}/status/404`, join(h.dir, 'x.bin')));
    expect(e).toBeInstanceOf(DownloadFailedError);
    expect((e as ProviderError).status).toBe(404);
    expect(hits).toHaveLength(1);
    flaky = 0;
    const got = await h.provider.download(`${origin}/flaky/2`, join(h.dir, 'f.txt'), { expect: 'bytes' });
    expect(got.bytes).toBe(2);
    expect(h.retries.map((r) => r.reason)).toEqual(['HTTP 503', 'HTTP 503']);
    expect(await h.files()).toEqual(['f.txt']);
  });
});
