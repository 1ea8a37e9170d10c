/**
 * A tiny static file server on 127.0.0.1 (port 0): what a hosting command's "bucket" looks
 * like to the API. Serves files from one folder by name; records each request.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { basename, join } from 'node:path';

export interface StaticServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Each request once it is over: its status, 0 for a file cut short. */
  readonly requests: { readonly path: string; readonly status: number }[];
  close(): Promise<void>;
}

export async function startStaticServer(dir: string): Promise<StaticServer> {
  const requests: { path: string; status: number }[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = join(dir, basename(decodeURIComponent(path)));
    // Logged once the response is over, a 200 only when the whole file went out: on 'close', which
    // always comes, not 'finish', which does not when the client, its Content-Length read, closes
    // the connection before the server's end() (kontext's own check of a URL does: verify-url.ts).
    let size = 0;
    let sent = 0;
    res.once('close', () =>
      requests.push({ path, status: res.statusCode === 200 && sent < size ? 0 : res.statusCode }),
    );
    stat(file).then(
      (info) => {
        size = info.size;
        res.writeHead(200, {
          'content-length': info.size,
          'content-type': file.endsWith('.png') ? 'image/png' : 'image/jpeg',
        });
        createReadStream(file)
          .on('data', (chunk) => {
            sent += chunk.length;
          })
          .pipe(res);
      },
      () => {
        res.writeHead(404).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * `http://127.0.0.1:<port>` of a port free a moment ago and closed again: connections are refused.
 * A hosting command's URL neither kontext's check (verify-url.ts: a warning) nor the API can fetch.
 */
export async function closedOrigin(): Promise<string> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
