/**
 * fal.ai's status stream (`GET …/requests/{id}/status/stream`): server-sent events, one
 * `data: {status json}` per change of state, the stream closed after COMPLETED. The job table has
 * no change events, so an open stream looks every few ms (idle emulators open none). A `reset`
 * fault on `status` breaks a stream as it breaks a status read: clients must fall back to polling.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context.js';
import type { Job } from '../jobs.js';
import { findJob, sendDetail } from './bfl-fal-wire.js';

const LOOK_EVERY_MS = 5;

export function streamStatus(
  ctx: EmulatorContext,
  _req: IncomingMessage,
  res: ServerResponse,
  id: string,
  bodyOf: (job: Job) => Record<string, unknown>,
): Promise<void> {
  const job = findJob(ctx, id);
  if (!job) {
    sendDetail(res, 404, `Request ${id} not found`);
    return Promise.resolve();
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let last = '';
  const send = (): boolean => {
    const body = bodyOf(job);
    const text = JSON.stringify(body);
    if (text !== last) {
      last = text;
      res.write(`data: ${text}\n\n`);
    }
    return body['status'] === 'COMPLETED';
  };
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      clearInterval(timer);
      resolve();
    };
    const timer = setInterval(() => {
      if (ctx.closed || res.destroyed) return stop();
      if (send()) {
        res.end();
        stop();
      }
    }, LOOK_EVERY_MS);
    res.once('close', stop);
    if (send()) {
      res.end();
      stop();
    }
  });
}
