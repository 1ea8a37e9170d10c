/**
 * A real HTTP proxy on 127.0.0.1 in front of the test S3 server that holds PUTs for a while
 * (`holdMs(n)` for the n-th, 1-based) before passing them on, so a test can act while an upload
 * is under way. It records each PUT's fate: forwarded, or given up by the client (an aborted upload) while held.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowProxy {
  readonly endpoint: string;
  /** PUT paths in arrival order, with what became of them. */
  readonly puts: { readonly path: string; fate: 'held' | 'forwarded' | 'aborted' }[];
  close(): Promise<void>;
}

export async function startSlowProxy(target: string, holdMs: (nth: number) => number): Promise<SlowProxy> {
  const upstream = new URL(target);
  const puts: SlowProxy['puts'] = [];
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server = createServer((req, res) => {
    if (req.method !== 'PUT') return forward(req, res);
    const put = {
      path: new URL(req.url ?? '/', 'http://x').pathname,
      fate: 'held' as SlowProxy['puts'][number]['fate'],
    };
    puts.push(put);
    const timer = setTimeout(() => {
      put.fate = 'forwarded';
      forward(req, res);
    }, holdMs(puts.length));
    res.on('close', () => {
      if (put.fate !== 'held') return;
      clearTimeout(timer);
      put.fate = 'aborted';
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    puts,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
