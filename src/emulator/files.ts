/**
 * Output downloads (`/files/<id>/output.png`) and synthetic benchmark downloads
 * (`/files/synthetic/<bytes>.bin`), with the download faults: truncated body, oversized
 * Content-Length. No auth, like the real CDN. Bodies are streamed with backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { seededRandom } from '../runtime.js';
import type { EmulatorContext } from './context.js';
import { sendError } from './http-io.js';
import type { RequestLogEntry } from './request-log.js';

const CHUNK = 1024 * 1024;

/** The synthetic byte pattern: byte i of any synthetic file is PATTERN[i % CHUNK]. */
const PATTERN: Buffer = (() => {
  const next = seededRandom(0x6b6f6e74);
  const buf = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 4) buf.writeUInt32LE(Math.floor(next() * 2 ** 32), i);
  return buf;
})();

/** Byte `offset` of a synthetic file (tests use it to check content). */
export function syntheticByte(offset: number): number {
  return PATTERN[offset % CHUNK] ?? 0;
}

/** Resolve when the response can take more data, or when it is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Write `count` bytes made by `slice(offset, length)`, waiting on backpressure. */
async function pump(
  res: ServerResponse,
  count: number,
  slice: (offset: number, length: number) => Buffer,
): Promise<void> {
  let sent = 0;
  while (sent < count && !res.destroyed) {
    const chunk = slice(sent, Math.min(CHUNK, count - sent));
    sent += chunk.length;
    if (!res.write(chunk)) await drained(res);
  }
}

/** Send `size` bytes with the current download fault applied. */
async function sendBody(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  size: number,
  type: string,
  slice: (offset: number, length: number) => Buffer,
  entry: RequestLogEntry,
): Promise<void> {
  const fault = entry.internal ? undefined : ctx.faults.downloadFault();
  const advertised = fault?.kind === 'oversized' ? fault.length : size;
  res.writeHead(200, { 'content-type': type, 'content-length': String(advertised) });
  if (req.method === 'HEAD') return void res.end();
  if (fault === undefined) {
    await pump(res, size, slice);
    return void res.end();
  }
  entry.fault = `${fault.kind}-download`;
  // Send part of the body, then drop the connection: the client sees fewer bytes than promised.
  const partial = fault.kind === 'truncated' ? Math.floor(size / 2) : Math.min(size, 64 * 1024);
  res.flushHeaders();
  await pump(res, partial, slice);
  cutConnection(res);
}

/** Flush what was written, then close the socket: the client sees fewer bytes than promised. */
function cutConnection(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || socket.destroyed) return;
  socket.once('finish', () => socket.destroy());
  socket.end();
}

export async function serveOutput(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  entry: RequestLogEntry,
): Promise<void> {
  const output = ctx.jobs.get(id)?.output;
  if (!output) return sendError(res, 404, 404002, `No output for request ${id}`);
  await sendBody(ctx, req, res, output.length, 'image/png', (o, n) => output.subarray(o, o + n), entry);
}

export async function serveSynthetic(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  bytes: number,
  entry: RequestLogEntry,
): Promise<void> {
  await sendBody(
    ctx,
    req,
    res,
    bytes,
    'application/octet-stream',
    (_o, n) => (n === CHUNK ? PATTERN : PATTERN.subarray(0, n)),
    entry,
  );
}
