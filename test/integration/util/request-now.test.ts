/**
 * util/http-request.ts against connections that never complete (a TCP server on 127.0.0.1 that
 * accepts and never answers: an https:// request's TLS handshake stalls there): an abort during
 * the connect answers the caller at once, where undici settles the request only when its connect
 * does (its timeout here: 60 s, past the test's own); `unsent` stops a request still waiting for
 * its connection and no other; `closeDispatcher` gives such a connect up instead of waiting for it.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDispatcher, requestNow, StoppedUnsent } from '../../../src/util/http-request.js';
import { dispatcherFor, mayHaveSent } from '../../../src/util/proxy-dispatcher.js';

const LONG = { connect: { timeout: 60_000 } };
let silent: Server;
const accepted: Socket[] = [];
let plain: HttpServer;
const port = (s: { address(): unknown }): number => (s.address() as AddressInfo).port;

beforeAll(async () => {
  silent = createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) what comes, so the client's close is seen
  });
  plain = createHttpServer((_req, res) => res.end('hello'));
  await Promise.all([
    new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)),
    new Promise<void>((r) => plain.listen(0, '127.0.0.1', r)),
  ]);
});
afterAll(async () => {
  for (const s of accepted) s.destroy();
  await Promise.all([new Promise((r) => silent.close(r)), new Promise((r) => plain.close(r))]);
});

/** Resolves once the silent server has taken `n` connections in all. */
async function connections(n: number): Promise<void> {
  while (accepted.length < n) await new Promise((r) => setTimeout(r, 10));
}

describe('requestNow', () => {
  it('an abort while the connection is being made rejects at once with its reason; closing does not wait', async () => {
    const dispatcher = dispatcherFor(null, LONG);
    const controller = new AbortController();
    const before = accepted.length;
    const pending = requestNow(`https://127.0.0.1:${port(silent)}/`, { dispatcher }, { signal: controller.signal });
    await connections(before + 1);
    const reason = new Error('stopped by the test');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    // The connect given up: the server sees its connection close (undici alone keeps it 60 s).
    const socket = accepted[before] as Socket;
    const closed = new Promise((r) => socket.once('close', r));
    await closeDispatcher(dispatcher);
    await closed;
  });

  it('`unsent` stops a request still waiting for its connection, as nothing sent', async () => {
    const dispatcher = dispatcherFor(null, LONG);
    const stop = new AbortController();
    const url = `https://127.0.0.1:${port(silent)}/`;
    const started = performance.now();
    const before = accepted.length;
    const pending = requestNow(url, { dispatcher, method: 'POST', body: '{}' }, { unsent: stop.signal });
    await connections(before + 1);
    expect(mayHaveSent(dispatcher, url, started)).toBe(false);
    stop.abort(new Error('Ctrl-C'));
    const e = await pending.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoppedUnsent);
    expect((e as StoppedUnsent).signal).toBe(stop.signal);
    await closeDispatcher(dispatcher);
  });

  it('`unsent` leaves a request that may be on the wire alone (a connection to its origin was open)', async () => {
    const dispatcher = dispatcherFor(null, {});
    const url = `http://127.0.0.1:${port(plain)}/`;
    const first = await requestNow(url, { dispatcher });
    expect(await first.body.text()).toBe('hello');
    const stop = new AbortController();
    stop.abort(new Error('Ctrl-C'));
    const second = await requestNow(url, { dispatcher }, { unsent: stop.signal });
    expect(await second.body.text()).toBe('hello');
    await closeDispatcher(dispatcher);
  });

  it('a direct dispatcher counts its connections as a proxied one does (mayHaveSent)', async () => {
    const dispatcher = dispatcherFor(null, {});
    const url = `http://127.0.0.1:${port(plain)}/`;
    const since = performance.now();
    expect(mayHaveSent(dispatcher, url, since)).toBe(false);
    await (await requestNow(url, { dispatcher })).body.text();
    expect(mayHaveSent(dispatcher, url, since)).toBe(true);
    await closeDispatcher(dispatcher);
  });
});
