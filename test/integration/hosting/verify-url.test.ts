/**
 * verify-url.ts against a real local server: redirects followed by hand (and checked for private
 * URLs), a body longer than the image cut short and refused, a 5xx only told.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkServedBytes } from '../../../src/hosting/verify-url.js';

const IMAGE = Buffer.from('pretend these are the bytes of an image');
const image = { sha256: createHash('sha256').update(IMAGE).digest('hex'), bytes: IMAGE.length };
const options = { env: {}, allowPrivateUrls: true };

let server: Server;
let origin: string;
let sent = 0;

beforeEach(async () => {
  sent = 0;
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/image') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(IMAGE);
    else if (path.startsWith('/hop/')) {
      const n = Number(path.slice('/hop/'.length));
      res.writeHead(302, { location: n === 0 ? '/image' : `/hop/${n - 1}` }).end();
    } else if (path === '/to-private') res.writeHead(302, { location: 'http://192.168.1.20/image' }).end();
    else if (path === '/busy') res.writeHead(503).end('try later');
    else if (path === '/endless') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const more = (): void => {
        while (sent < 64 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
        if (sent >= 64 * 1024 * 1024) res.end();
      };
      res.on('drain', more);
      res.on('error', () => undefined);
      more();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('checkServedBytes', () => {
  it('follows up to 3 redirects to the bytes; a 4th is only told', async () => {
    expect(await checkServedBytes(`${origin}/hop/2`, image, options)).toBe(true);
    expect(await checkServedBytes(`${origin}/hop/3`, image, options)).toBe('it redirects more than 3 times');
  });

  it('a redirect to a private URL is refused unless the API is local', async () => {
    await expect(
      checkServedBytes(`${origin}/to-private`, image, { env: {}, allowPrivateUrls: false }),
    ).rejects.toMatchObject({ code: 'E_HOSTING_PRIVATE_URL', exitCode: 65 });
  });

  it('a body longer than the image: refused once past its size, the rest not read', async () => {
    const e = await checkServedBytes(`${origin}/endless`, image, options).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'E_HOSTING_COMMAND_OUTPUT', exitCode: 65 });
    expect((e as Error).message).toMatch(/application\/octet-stream, more than 39 bytes, not 39 bytes of sha256/);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('a 5xx is only told: the API may fare better', async () => {
    expect(await checkServedBytes(`${origin}/busy`, image, options)).toBe('it answered HTTP 503');
  });

  it('the run interrupted: its reason, not a check that failed', async () => {
    const stop = new AbortController();
    stop.abort(new Error('interrupted'));
    await expect(checkServedBytes(`${origin}/image`, image, { ...options, signal: stop.signal })).rejects.toThrow(
      'interrupted',
    );
  });
});
