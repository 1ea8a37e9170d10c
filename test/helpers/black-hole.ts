/**
 * A TCP server on 127.0.0.1 that accepts connections, reads, and never writes: a black-holed
 * S3 endpoint, a firewall that swallows the reply. Counts the HTTP requests begun on it.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface BlackHole {
  readonly endpoint: string;
  /** Requests begun (a request line seen) so far. */
  requests(): number;
  /** Connections the client has given up on (closed from its side) so far: its timeouts. */
  abandoned(): number;
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let requests = 0;
  let abandoned = 0;
  let closing = false;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => {
      requests += (chunk.toString('latin1').match(/^(GET|HEAD|PUT) \//gm) ?? []).length;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (!closing) abandoned++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    abandoned: () => abandoned,
    close: async () => {
      closing = true;
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (just freed): a remote that is down, connection refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
