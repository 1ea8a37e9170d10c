/**
 * The remote cache's own S3 client (src/remote/s3-http.ts, sigv4.ts). s3rver checks only the
 * access key id, not signatures, so the signatures are checked here: against AWS's published
 * test vector, and against the AWS SDK's own signer (the SDK's requests, captured by a real
 * HTTP server on 127.0.0.1, re-signed from what arrived). Then the client's requests: what
 * they carry (a session token, never the secret), retries, and S3's errors as the SDK's.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { remoteError } from '../../../src/remote/errors.js';
import { openS3Http, S3HttpError } from '../../../src/remote/s3-http.js';
import { authorization, EMPTY_SHA256, encodeKeyPath } from '../../../src/remote/sigv4.js';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'kontext-canary-secret-5d1e' };

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/** A real server that records each request and answers with `answer(n)` (the n-th request, from 0). */
async function recorder(
  answer: (n: number, req: Seen) => { status: number; body?: string; date?: number } = () => ({
    status: 200,
    body: 'ok',
  }),
): Promise<{ endpoint: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(s);
      const a = answer(seen.length - 1, s);
      const date = a.date === undefined ? {} : { date: new Date(a.date).toUTCString() };
      res.writeHead(a.status, { 'content-type': 'application/xml', ...date }).end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** The signature `authorization()` computes for a request as it arrived, with its own signed headers. */
function resign(s: Seen, keys = KEYS): string {
  const auth = String(s.headers.authorization);
  const names = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
  const headers = Object.fromEntries(names.map((n) => [n, String(s.headers[n])]));
  const amzDate = String(s.headers['x-amz-date']);
  const payloadHash = String(s.headers['x-amz-content-sha256']);
  // One query parameter at most here (the SDK's `x-id=GetObject`), so it is already canonical.
  const [path = '', query = ''] = s.url.split('?');
  return authorization(
    { method: s.method, path, query, headers, payloadHash, amzDate, region: 'us-east-1', service: 's3' },
    keys,
  );
}

describe('SigV4', () => {
  it("matches AWS's published test vector (get-vanilla)", () => {
    const auth = authorization(
      {
        method: 'GET',
        path: '/',
        query: '',
        headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
        payloadHash: EMPTY_SHA256,
        amzDate: '20150830T123600Z',
        region: 'us-east-1',
        service: 'service',
      },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    );
    expect(auth).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });

  it("signs GET, HEAD and PUT exactly as the AWS SDK does (keys with '=', '+' and a space)", async () => {
    const { endpoint, seen } = await recorder();
    const sdk = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: KEYS,
      maxAttempts: 1,
    });
    const Key = 'team=a/v1/records/ab/a+b c.json';
    await sdk.send(new GetObjectCommand({ Bucket: 'b', Key }));
    await sdk.send(new HeadObjectCommand({ Bucket: 'b', Key }));
    await sdk.send(new PutObjectCommand({ Bucket: 'b', Key, Body: Buffer.from('{"x":1}'), ContentType: 'x/y' }));
    sdk.destroy();
    expect(seen.map((s) => s.method)).toEqual(['GET', 'HEAD', 'PUT']);
    for (const s of seen) {
      expect(s.url.split('?')[0]).toBe(`/b/${encodeKeyPath(Key)}`);
      expect(resign(s)).toBe(s.headers.authorization);
    }
    // A different secret gives a different signature: the comparison above can fail.
    expect(resign(seen[0] as Seen, { ...KEYS, secretAccessKey: 'other' })).not.toBe(seen[0]?.headers.authorization);
  });
});

describe('the remote cache S3 client', () => {
  const target = (endpoint: string, sessionToken?: string) =>
    openS3Http({
      endpoint,
      region: 'us-east-1',
      bucket: 'b',
      forcePathStyle: true,
      credentials: async () => ({ ...KEYS, sessionToken }),
    });

  it('sends what it signed: the payload hash, the session token, never the secret', async () => {
    const { endpoint, seen } = await recorder();
    const http = target(endpoint, 'session-token-1');
    const body = Buffer.from('bytes of a blob');
    await http.put('p/v1/blobs/ab/x', body, { 'content-type': 'image/png', 'cache-control': 'immutable' });
    expect(await http.head('p/v1/blobs/ab/x')).not.toBeNull();
    await http.close();
    for (const s of seen) {
      expect(resign(s)).toBe(s.headers.authorization);
      expect(s.headers['x-amz-security-token']).toBe('session-token-1');
      expect(String(s.headers.authorization)).toContain('x-amz-security-token');
      expect(JSON.stringify(s.headers)).not.toContain(KEYS.secretAccessKey);
    }
    expect(seen[0]?.body.equals(body)).toBe(true);
    expect(seen[0]?.headers['content-type']).toBe('image/png');
    expect(seen[0]?.headers['x-amz-content-sha256']).not.toBe(EMPTY_SHA256);
  });

  it('a 404 is null or false; a 5xx is tried again; an S3 error has its code and status', async () => {
    const denied = '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    let flaky = 0;
    const { endpoint, seen } = await recorder((_n, s) => {
      if (s.url.endsWith('/missing')) return { status: 404, body: '<Error><Code>NoSuchKey</Code></Error>' };
      if (s.url.endsWith('/flaky')) return ++flaky === 3 ? { status: 200, body: 'finally' } : { status: 503 };
      return { status: 403, body: denied };
    });
    const http = target(endpoint);
    expect(await http.get('missing')).toBeNull();
    expect(await http.head('missing')).toBeNull();
    const got = await http.get('flaky');
    expect(Buffer.concat((await got?.body.toArray()) ?? []).toString()).toBe('finally');
    const refused = await http.get('secret-place').catch((e: unknown) => e);
    await http.close();
    expect(refused).toBeInstanceOf(S3HttpError);
    expect(refused).toMatchObject({
      name: 'AccessDenied',
      message: 'Access Denied',
      $metadata: { httpStatusCode: 403 },
    });
    // 2 for the 404s, 3 for the flaky GET, 1 for the 403 (not tried again).
    expect(seen).toHaveLength(6);
  });

  it("a 403 dated far from this machine's clock: signed again with the server's time, else a clock error", async () => {
    const HOUR = 3_600_000;
    const skewed = '<Error><Code>RequestTimeTooSkewed</Code><Message>too large</Message></Error>';
    const server = (req: Seen): number =>
      Date.parse(
        String(req.headers['x-amz-date']).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
      );
    const { endpoint, seen } = await recorder((_n, s) =>
      // The server's clock is 2 h ahead of the client's; a request dated more than 15 min from it is refused.
      Math.abs(server(s) - (Date.now() + 2 * HOUR)) > 15 * 60_000
        ? { status: 403, body: s.method === 'HEAD' ? '' : skewed, date: Date.now() + 2 * HOUR }
        : { status: 200, body: 'ok', date: Date.now() + 2 * HOUR },
    );
    const http = target(endpoint);
    expect(await http.head('k')).not.toBeNull();
    const got = await http.get('k');
    expect(Buffer.concat((await got?.body.toArray()) ?? []).toString()).toBe('ok');
    await http.close();
    // The HEAD's bodiless 403, then the HEAD signed again; the GET signed with the offset from the start.
    expect(seen.map((s) => s.method)).toEqual(['HEAD', 'HEAD', 'GET']);

    // A server that refuses whatever the time: one retry, then the clock named, not a permission.
    const { endpoint: never, seen: tried } = await recorder(() => ({
      status: 403,
      body: skewed,
      date: Date.now() - 3 * HOUR,
    }));
    const refused = await target(never)
      .get('k')
      .catch((e: unknown) => e);
    expect(tried).toHaveLength(2);
    expect(refused).toMatchObject({ name: 'RequestTimeTooSkewed', $metadata: { httpStatusCode: 403 } });
    expect((refused as Error).message).toContain("this machine's clock is 3 h ahead of the server's");
    expect(remoteError(refused, 'read', []).kind).toBe('unavailable');

    // A 403 from a server whose clock agrees is a permission: not signed again.
    const { endpoint: agrees, seen: once } = await recorder(() => ({ status: 403, date: Date.now() + 60_000 }));
    expect(
      await target(agrees)
        .head('k')
        .catch((e: unknown) => e),
    ).toMatchObject({ name: 'Forbidden' });
    expect(once).toHaveLength(1);
  });
});
