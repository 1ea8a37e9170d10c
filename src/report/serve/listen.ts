/**
 * The watch server's port: taken before anything is built or written, so a `--port` in use is one
 * error (exit 69) with nothing done; without `--port`, {@link DEFAULT_REPORT_PORT} or, when that
 * is taken, any free port. Loopback only.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ExitCode, KontextError } from '../../errors.js';

/** The fixed default port; when it is taken the server falls back to any free port. */
export const DEFAULT_REPORT_PORT = 4780;

export async function listen(server: Server, port: number | undefined): Promise<number> {
  const tryPort = (p: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });
  try {
    return await tryPort(port ?? DEFAULT_REPORT_PORT);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && port === undefined) return tryPort(0);
    throw new KontextError('E_SERVE_PORT', `cannot serve the report on 127.0.0.1:${port}: ${(e as Error).message}`, {
      exitCode: ExitCode.UNAVAILABLE,
      hint: 'choose another --port, or leave it out for a free one',
      cause: e,
    });
  }
}
