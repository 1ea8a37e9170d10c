/**
 * A real HTTP proxy in front of s3rver, for what s3rver cannot do itself: answer writes with
 * AccessDenied (read-only credentials, as a bucket policy would) and hold writes back (slow
 * uploads, to interrupt them), delay every request (a slow remote), or let a test answer some
 * requests itself (a hostile server). Other requests are forwarded byte for byte.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface S3Proxy {
  readonly endpoint: string;
  /** Requests seen, as `METHOD /path`. */
  readonly seen: string[];
  close(): Promise<void>;
}

const DENIED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';

export async function startS3Proxy(
  target: string,
  options: {
    readonly denyWrites?: boolean;
    readonly holdWritesMs?: number;
    /** Hold every request this long before forwarding it (a slow remote). */
    readonly delayMs?: number;
    /** Answer a request here instead of forwarding it (a hostile server); `true` when it did. */
    readonly answer?: (req: IncomingMessage, res: ServerResponse) => boolean;
  } = {},
): Promise<S3Proxy> {
  const to = new URL(target);
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''}`);
    if (options.answer?.(req, res)) return;
    if (req.method === 'PUT' && options.denyWrites) {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' }).end(DENIED);
      return;
    }
    const forward = (): void => {
      const up = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (req.method === 'PUT' && options.holdWritesMs) setTimeout(forward, options.holdWritesMs);
    else if (options.delayMs) setTimeout(forward, options.delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * In front of s3rver for S3 hosting: the uploads (PUTs) after the first `free` are held until
 * `open()`, then sent on unless their client gave them up meanwhile.
 */
export async function startUploadGate(target: string, free: number) {
  const to = new URL(target);
  let seen = 0;
  let opened = false;
  const held: (() => void)[] = [];
  const forwarded: string[] = [];
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'PUT') forwarded.push(req.url ?? '');
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers });
    up.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server = createServer((req, res) => {
    if (req.method !== 'PUT' || ++seen <= free || opened) return forward(req, res);
    let gone = false;
    res.on('close', () => {
      gone = true;
    });
    held.push(() => (gone ? undefined : forward(req, res)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** The uploads sent on to s3rver so far. */
    forwarded,
    open(): void {
      opened = true;
      for (const send of held.splice(0)) send();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
