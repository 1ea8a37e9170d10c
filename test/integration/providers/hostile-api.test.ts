/**
 * The RunComfy client against an API the emulator cannot play: a small node:http server on
 * 127.0.0.1 whose handler each test sets (a reply body that drips for ever, request ids that
 * are path segments, an error body echoing the Authorization header at the clip boundary).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, InterruptedError } from '../../../src/errors.js';
import { createRunComfyProvider, type RunComfyProvider } from '../../../src/providers/runcomfy/client.js';
import { DeadlineExceededError, ProviderError, SubmitUncertainError } from '../../../src/providers/runcomfy/errors.js';
import { provesNotAccepted } from '../../../src/run/submit-claim.js';
import { createRuntime, seededRandom } from '../../../src/runtime.js';
import { editRequest, errorTexts, rejection, TOKEN } from './harness.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl = '';
let handler: Handler = (_req, res) => res.writeHead(500).end();
const paths: string[] = [];
const timers = new Set<NodeJS.Timeout>();

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(`${req.method ?? ''} ${req.url ?? ''}`);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let provider: RunComfyProvider | undefined;
afterEach(async () => {
  for (const t of timers) clearInterval(t);
  timers.clear();
  server.closeAllConnections();
  await provider?.close();
  provider = undefined;
  paths.length = 0;
});

function client(requestTimeoutMs = 5_000, maxRetryAfterMs = 100): RunComfyProvider {
  provider = createRunComfyProvider({
    baseUrl,
    token: TOKEN,
    rt: createRuntime({ env: {}, random: seededRandom(1) }),
    allowHosts: ['127.0.0.1'],
    poll: { firstDelayMs: 10, factor: 1.5, maxDelayMs: 40 },
    retry: { maxAttempts: 2, baseMs: 5, capMs: 20, maxRetryAfterMs },
    requestTimeoutMs,
  });
  return provider;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A 200 whose JSON body never ends: a space every 20 ms, always inside the body timeout. */
function drip(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"status":"in_queue"');
  const t = setInterval(() => res.write(' '), 20);
  timers.add(t);
  res.on('close', () => clearInterval(t));
}

describe('a hostile RunComfy API', () => {
  it('a status reply whose body never ends cannot hold the wait past its deadline', async () => {
    handler = (req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/cancel')) json(res, 200, { outcome: 'cancelled' });
      else if (req.method === 'POST') json(res, 200, { request_id: 'r-1' });
      else drip(res);
    };
    const p = client();
    const { requestId } = await p.submit(await editRequest());
    const began = Date.now();
    const e = await rejection(p.wait(requestId, { deadlineMs: 300 }));
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).exitCode).toBe(ExitCode.TEMP_FAIL);
    expect(Date.now() - began).toBeLessThan(3_000);
  }, 10_000);

  it('a submit reply whose body never ends fails within the request timeout as "may have been submitted"', async () => {
    handler = (_req, res) => drip(res);
    const p = client(400);
    const began = Date.now();
    const e = await rejection(p.submit(await editRequest()));
    expect(e).toBeInstanceOf(SubmitUncertainError);
    expect(paths.filter((x) => x.startsWith('POST'))).toHaveLength(1);
    expect(Date.now() - began).toBeLessThan(3_000);
  }, 10_000);

  it('Ctrl-C during the deadline cancel of a request whose cancel endpoint never answers ends the wait', async () => {
    handler = (req, res) => {
      if (req.method === 'POST' && req.url?.endsWith('/cancel')) return; // never answers
      if (req.method === 'POST') json(res, 200, { request_id: 'r-2' });
      else json(res, 200, { status: 'in_queue' });
    };
    const p = client();
    const { requestId } = await p.submit(await editRequest());
    const ctrlC = new AbortController();
    const began = Date.now();
    const waiting = rejection(p.wait(requestId, { deadlineMs: 200, signal: ctrlC.signal }));
    await new Promise((r) => setTimeout(r, 600));
    expect(paths.some((x) => x.endsWith('/cancel'))).toBe(true);
    ctrlC.abort();
    const e = await waiting;
    expect(e).toBeInstanceOf(DeadlineExceededError);
    expect((e as DeadlineExceededError).cancelOutcome).toBe('failed');
    expect(Date.now() - began).toBeLessThan(2_500);
  }, 15_000);

  it('a result listing 100,000 output URLs is read in linear time (the first URL wins)', async () => {
    const output = Array.from({ length: 100_000 }, (_, i) => `http://127.0.0.1/out/${i}.png`);
    handler = (req, res) => {
      if (req.method === 'POST') json(res, 200, { request_id: 'r-3' });
      else if (req.url?.endsWith('/status')) json(res, 200, { status: 'completed' });
      else json(res, 200, { status: 'completed', output });
    };
    const p = client();
    const { requestId } = await p.submit(await editRequest());
    const { outputUrls } = await p.wait(requestId);
    expect(outputUrls[0]).toBe(output[0]);
    expect(outputUrls).toHaveLength(100_000);
  }, 20_000);

  it('a reply nested a million levels deep is an unreadable reply (typed, retried), not a stack overflow', async () => {
    const deep = `{"error_message":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    handler = (req, res) => {
      if (req.method === 'POST') json(res, 200, { request_id: 'r-4' });
      else res.writeHead(500, { 'content-type': 'application/json' }).end(deep);
    };
    const p = client();
    const { requestId } = await p.submit(await editRequest());
    const e = await rejection(p.wait(requestId));
    expect(e).toBeInstanceOf(ProviderError);
    expect(errorTexts(e)).not.toContain('call stack');
    expect(paths.filter((x) => x.startsWith('GET'))).toHaveLength(2);
  });

  it('Ctrl-C while a submit waits out a 429 proves nothing was accepted (the intent may go)', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' });
      res.end('{"error_message":"slow down"}');
    };
    const p = client(5_000, 60_000);
    const ctrlC = new AbortController();
    const submitting = rejection(p.submit(await editRequest(), ctrlC.signal));
    await new Promise((r) => setTimeout(r, 300));
    ctrlC.abort(new InterruptedError('interrupted by SIGINT'));
    const e = await submitting;
    expect(paths.filter((x) => x.startsWith('POST'))).toHaveLength(1);
    expect((e as InterruptedError).exitCode).toBe(ExitCode.INTERRUPTED);
    expect(provesNotAccepted(e)).toBe(true);
  });

  it('Ctrl-C while a submit is on the wire still leaves it "maybe paid"', async () => {
    handler = () => undefined; // the body was sent; no reply comes
    const p = client();
    const ctrlC = new AbortController();
    const submitting = rejection(p.submit(await editRequest(), ctrlC.signal));
    await new Promise((r) => setTimeout(r, 300));
    ctrlC.abort(new InterruptedError('interrupted by SIGINT'));
    expect(provesNotAccepted(await submitting)).toBe(false);
  });

  for (const id of ['..', '.', 'x'.repeat(5_000), 'r-1\nX-Injected: 1']) {
    it(`request id ${JSON.stringify(id.slice(0, 12))}… (${id.length} chars) is refused, not in a URL`, async () => {
      handler = (req, res) => {
        if (req.method === 'POST') json(res, 200, { request_id: id });
        else json(res, 404, { error_message: 'no such endpoint' });
      };
      const p = client();
      const e = await rejection(p.submit(await editRequest()));
      expect(e).toBeInstanceOf(SubmitUncertainError);
      expect(errorTexts(e)).toContain('request_id');
    });
  }

  it('an error echoing the Authorization header across the 300-character clip leaks no part of the token', async () => {
    // The echo starts where the clip cuts the token in two: its first half would survive.
    const pad = 'x'.repeat(299 - ' Bearer '.length - 12);
    handler = (req, res) =>
      json(res, 401, { error_message: `${pad} ${String(req.headers['authorization'])} rejected` });
    const p = client();
    const e = await rejection(p.submit(await editRequest()));
    const text = errorTexts(e);
    expect(text).toContain('HTTP 401');
    expect(text).not.toContain(TOKEN.slice(0, 12));
  });
});
