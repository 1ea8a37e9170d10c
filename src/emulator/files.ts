/**
 * Output downloads (`/files/<id>/output.png`) and synthetic benchmark downloads
 * (`/files/synthetic/<bytes>.bin`, or `.png`: a valid PNG of that size), with the download
 * faults: truncated body, oversized Content-Length, an HTML page with a 200, an unasked-for
 * gzip encoding, a body longer than its Content-Length, a drip feed. No auth, like the real
 * CDN. Bodies are streamed with backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../runtime.js';
import type { EmulatorContext } from './context.js';
import type { DownloadFault } from './faults.js';
import { sendError } from './http-io.js';
import type { RequestLogEntry } from './request-log.js';
import { syntheticPng } from './synthetic-png.js';
import { mediaTypeOf, outputIn } from './protocols/bfl-fal-wire.js';
import { formatOf } from './runcomfy-format.js';

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
export async function sendBody(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  size: number,
  type: string,
  slice: (offset: number, length: number) => Buffer,
  entry: RequestLogEntry,
): Promise<void> {
  const fault = entry.internal ? undefined : ctx.faults.downloadFault();
  if (fault !== undefined && req.method !== 'HEAD') {
    switch (fault.kind) {
      case 'html':
      case 'gzip':
      case 'overlong':
      case 'drip':
        entry.fault = `${fault.kind}-download`;
        if (fault.kind === 'drip' && fault.padTo !== undefined)
          return sendHostileBody(res, fault, fault.padTo, 'image/png', syntheticPng(fault.padTo, PATTERN));
        return sendHostileBody(res, fault, size, type, slice);
      default:
        break;
    }
  }
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

/** Bodies past this size are not served by the faults that need the whole body in memory. */
const HOSTILE_MAX_BYTES = 64 * 1024 * 1024;

const HTML_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><h1>Session expired</h1>' +
  '<p>Please sign in to continue (emulated fault).</p></body></html>\n';

/** The faults that lie about the body: an HTML page, gzip, a short Content-Length, a drip feed. */
async function sendHostileBody(
  res: ServerResponse,
  fault: Extract<DownloadFault, { kind: 'html' | 'gzip' | 'overlong' | 'drip' }>,
  size: number,
  type: string,
  slice: (offset: number, length: number) => Buffer,
): Promise<void> {
  if (fault.kind === 'html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(HTML_PAGE.length) });
    return void res.end(HTML_PAGE);
  }
  if (size > HOSTILE_MAX_BYTES) return sendError(res, 500, 500001, 'body too large for this fault');
  const body = Buffer.concat(
    Array.from({ length: Math.ceil(size / CHUNK) }, (_, i) => slice(i * CHUNK, Math.min(CHUNK, size - i * CHUNK))),
  );
  if (fault.kind === 'gzip') {
    const gz = gzipSync(body);
    res.writeHead(200, { 'content-type': type, 'content-encoding': 'gzip', 'content-length': String(gz.length) });
    return void res.end(gz);
  }
  if (fault.kind === 'overlong') {
    // Written on the socket by hand: Node's ServerResponse would not send more than it declared.
    const declared = Math.floor(size / 2);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-length: ${declared}\r\nconnection: close\r\n\r\n`;
    const socket = res.socket;
    if (!socket || socket.destroyed) return;
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': String(size) });
  res.flushHeaders();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= size) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return resolve();
      }
      const n = Math.min(fault.bytes, size - sent);
      res.write(body.subarray(sent, sent + n));
      sent += n;
    }, fault.intervalMs);
    res.once('close', () => {
      clearInterval(timer);
      resolve();
    });
  });
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
  const job = ctx.jobs.get(id);
  const output = job ? await outputIn(job, formatOf(job)) : undefined;
  if (!job || !output) return sendError(res, 404, 404002, `No output for request ${id}`);
  const type = mediaTypeOf(formatOf(job));
  await sendBody(ctx, req, res, output.length, type, (o, n) => output.subarray(o, o + n), entry);
}

export async function serveSynthetic(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  bytes: number,
  format: 'bin' | 'png',
  entry: RequestLogEntry,
): Promise<void> {
  if (format === 'png') {
    await sendBody(ctx, req, res, bytes, 'image/png', syntheticPng(bytes, PATTERN), entry);
    return;
  }
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
