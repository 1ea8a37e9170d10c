/**
 * The BFL, fal.ai and Replicate clients against an API the emulator cannot play: a small
 * node:http server on 127.0.0.1 whose handler each test sets (a polling_url that cannot go into
 * the lock, a prediction id that is not a string, ...).
 */
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { type BflProvider, createBflProvider } from '../../../src/providers/bfl/client.js';
import { createFalProvider, type FalOptions, type FalProvider } from '../../../src/providers/fal/client.js';
import { createReplicateProvider, type ReplicateProvider } from '../../../src/providers/replicate/client.js';
import {
  DownloadHostRefusedError,
  DownloadRefusedError,
  SubmitUncertainError,
} from '../../../src/providers/runcomfy/errors.js';
import { createRuntime, seededRandom } from '../../../src/runtime.js';
import { editRequest, FAL_KEY, rejection } from './bfl-fal-harness.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let origin = '';
let handler: Handler = (_req, res) => res.writeHead(500).end();
const paths: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(`${req.method ?? ''} ${req.url ?? ''}`);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let bfl: BflProvider | undefined;
let replicate: ReplicateProvider | undefined;
let fal: FalProvider | undefined;
afterEach(async () => {
  server.closeAllConnections();
  await bfl?.close();
  await replicate?.close();
  await fal?.close();
  bfl = undefined;
  replicate = undefined;
  fal = undefined;
  paths.length = 0;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const BFL_KEY = 'bfl-test-SECRET-key-8d1e7a42';
const REPLICATE_TOKEN = 'r8_test-SECRET-replicate-9c41d2';

function bflClient(): BflProvider {
  bfl = createBflProvider({
    key: BFL_KEY,
    baseUrl: origin,
    rt: createRuntime({ env: {}, random: seededRandom(1) }),
    allowHosts: ['127.0.0.1'],
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
    retry: { maxAttempts: 2, baseMs: 5, capMs: 20, maxRetryAfterMs: 100 },
  });
  return bfl;
}

function falClient(extra: Partial<FalOptions> = {}): FalProvider {
  fal = createFalProvider({
    key: FAL_KEY,
    baseUrl: origin,
    rt: createRuntime({ env: {}, random: seededRandom(1) }),
    allowHosts: ['127.0.0.1'],
    retry: { maxAttempts: 2, baseMs: 5, capMs: 20, maxRetryAfterMs: 100 },
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
    ...extra,
  });
  return fal;
}

function replicateClient(): ReplicateProvider {
  replicate = createReplicateProvider({
    token: REPLICATE_TOKEN,
    baseUrl: origin,
    rt: createRuntime({ env: {}, random: seededRandom(1) }),
    allowHosts: ['127.0.0.1'],
    holdS: 0,
    retry: { maxAttempts: 2, baseMs: 5, capMs: 20, maxRetryAfterMs: 100 },
  });
  return replicate;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const HIDDEN = 'it contains a bidi control or an invisible character';

describe('BFL: a submit reply whose polling_url cannot be the request id', () => {
  it.each([
    ['a zero-width space', '\u200b', HIDDEN],
    ['a bidi override', '\u202e', HIDDEN],
    ['a newline', '\n', 'it contains control characters'],
    ['the key', `&k=${BFL_KEY}`, 'it carries the API key'],
  ])('one holding %s is "maybe paid" (no poll), never kept as the request id', async (_what, char, problem) => {
    // Kept, it went into the journal and the lock: a hidden character made every lock write of the
    // recipe fail (exit 70); the key reached the lock (committed) and the record the remote cache shares.
    handler = (_req, res) => json(res, 200, { id: 'abc', polling_url: `${origin}/v1/get_result?id=abc${char}` });
    const e = await rejection(bflClient().submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect((e as SubmitUncertainError).exitCode).toBe(ExitCode.UNAVAILABLE);
    expect((e as Error).message).toContain(`polling_url cannot be used (${problem})`);
    expect(paths).toEqual(['POST /v1/flux-kontext-pro']);
  });

  it('a usual polling_url (region host, UUID) is the request id as given', async () => {
    const url = `${origin}/v1/get_result?id=b9b172a8-e39c-47b2-8f1a-cb8925f3532e`;
    handler = (_req, res) => json(res, 200, { id: 'b9b172a8-e39c-47b2-8f1a-cb8925f3532e', polling_url: url });
    expect((await bflClient().submit(await editRequest())).requestId).toBe(url);
  });
});

describe('Replicate: a create reply whose prediction id cannot be used', () => {
  it.each([
    ['an array', ['p1'], 'it is an array, not a string'],
    ['a number', 7, 'it is a number, not a string'],
    ['absent', undefined, 'it is missing'],
    ['a string carrying the token', `p1-${REPLICATE_TOKEN}`, 'it carries the API key'],
  ])('an id that is %s is "maybe created", with Replicate\'s hint (not RunComfy\'s)', async (_what, id, problem) => {
    handler = (_req, res) => json(res, 201, { id, status: 'starting' });
    const e = (await rejection(replicateClient().submit(await editRequest()))) as SubmitUncertainError;
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(e.message).toContain(`prediction id cannot be used (${problem})`);
    expect(e.hint).toMatch(/replicate\.com\/predictions/);
    expect(e.hint).not.toMatch(/RunComfy/);
    expect(paths).toEqual(['POST /v1/models/black-forest-labs/flux-kontext-pro/predictions']);
  });
});

describe('an output URL that carries the API key', () => {
  it.each([
    ['in its query', (key: string) => `/out.png?k=${key}`],
    ['percent-encoded in its path', (key: string) => `/${encodeURIComponent(`Key ${key}`)}/out.png`],
  ])('%s is refused before it is fetched (nor kept in a run record): exit 65', async (_where, path) => {
    // An API echoing the key into an output URL would have the download send it to that host.
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end('not reached');
    const dir = await mkdtemp(join(tmpdir(), 'kontext-wire-'));
    dirs.push(dir);
    const dest = join(dir, 'out.png');
    const e = await rejection(bflClient().download(`${origin}${path(BFL_KEY)}`, dest));
    expect(e).toBeInstanceOf(DownloadRefusedError);
    expect((e as DownloadRefusedError).exitCode).toBe(ExitCode.DATA_ERR);
    expect((e as Error).message).toMatch(/the URL carries the API key/);
    expect(paths).toEqual([]);
  });
});

describe('an output URL redirecting to a file: URL', () => {
  it('is refused as a scheme, with no host to allow: no KONTEXT_ALLOW_HOSTS hint naming ""', async () => {
    handler = (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    const dir = await mkdtemp(join(tmpdir(), 'kontext-wire-'));
    dirs.push(dir);
    const e = await rejection(bflClient().download(`${origin}/out.png`, join(dir, 'out.png')));
    expect(e).toBeInstanceOf(DownloadHostRefusedError);
    const { message, hint } = e as DownloadHostRefusedError;
    expect(message).toBe('refusing to download file:///etc/passwd: scheme file: is not allowed (only http and https)');
    expect(hint).not.toMatch(/KONTEXT_ALLOW_HOSTS|""/);
    expect(paths).toEqual(['GET /out.png']);
  });
});

describe('fal.ai: a key of `key_id:key_secret`', () => {
  it('an error body echoing the secret half alone leaks none of it; a request id carrying it is refused', async () => {
    const half = FAL_KEY.split(':')[1] ?? '';
    handler = (_req, res) => json(res, 422, { detail: [{ msg: `key secret ${half} is not valid for this app` }] });
    // rejection() fails the test if the key, or its secret half, is in any text of the error.
    await rejection(falClient().submit(await editRequest()));
    handler = (_req, res) => json(res, 200, { request_id: `r-${half}` });
    const e = await rejection(falClient().submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect((e as Error).message).toContain('(it carries the API key)');
  });
});

describe('fal.ai: a status stream held open by keep-alive comments alone', () => {
  it('is given up for polling, which finds the request COMPLETED (not waited on to the deadline)', async () => {
    const timers: NodeJS.Timeout[] = [];
    handler = (req, res) => {
      const url = req.url ?? '';
      const at = `${origin}/fal-ai/flux-pro/requests/r1`;
      if (req.method === 'POST')
        return json(res, 200, { request_id: 'r1', status_url: `${at}/status`, response_url: at });
      if (url.endsWith('/status/stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        timers.push(setInterval(() => res.write(': keep-alive\n\n'), 20));
        return;
      }
      if (url.endsWith('/status')) return json(res, 200, { status: 'COMPLETED' });
      return json(res, 200, { images: [{ url: `${origin}/o.png` }], seed: 7 });
    };
    try {
      const client = falClient({ deadlineMs: 4_000, streamSilenceMs: 300 });
      const { requestId } = await client.submit(await editRequest());
      const done = await client.wait(requestId);
      expect(done.outputUrls).toEqual([`${origin}/o.png`]);
    } finally {
      for (const t of timers) clearInterval(t);
    }
  });
});
