/**
 * What the BFL and fal.ai protocols of the emulator share: the route shape they hand the router,
 * the scenario's call faults in their wire shape (FastAPI-style `{"detail": …}` bodies), a job's
 * output in the format asked for, and the log entry of a submit. The job model, the transform
 * and the fault engine are the RunComfy emulator's own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context.js';
import type { CallPlan, CallTarget } from '../faults.js';
import { faultLabel, replyForeign } from '../fault-reply.js';
import { sendJson } from '../http-io.js';
import type { Job } from '../jobs.js';
import { describeImageUrl, type RequestLogEntry } from '../request-log.js';

export type ProtocolServe = (
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  plan: CallPlan,
) => Promise<void> | void;

/** A route of another provider's protocol: which fault counter it feeds, and how it is served. */
export interface ProtocolRoute {
  readonly kind: 'protocol';
  readonly target: CallTarget;
  readonly serve: ProtocolServe;
}

/** The FastAPI-style error body both BFL and fal send: `{"detail": …}`. */
export function sendDetail(
  res: ServerResponse,
  status: number,
  detail: unknown,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { detail, ...extra }, headers);
}

const FAULT_TEXT: Record<number, string> = {
  401: 'Not authenticated',
  402: 'Insufficient credits',
  403: 'Forbidden',
  422: 'Unprocessable input',
  429: 'Too many active tasks',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

/**
 * The scenario's call fault, if any, in this protocol's shape; true when it replied. An HTTP
 * fault's `error_code` has no meaning here (these APIs have none) and is ignored.
 */
export function replyWithProtocolFault(
  req: IncomingMessage,
  res: ServerResponse,
  plan: CallPlan,
  entry: RequestLogEntry,
  extraFor: (status: number) => Record<string, unknown> = () => ({}),
): boolean {
  const { fault } = plan;
  if (!fault) return false;
  entry.fault = [entry.fault, faultLabel(fault, plan.source)].filter(Boolean).join('+');
  switch (fault.kind) {
    case 'reset':
      req.socket.destroy();
      return true;
    case 'malformed-json': {
      const text = '{"id": "emulated", "status": "Pending", <<not json';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return true;
    }
    case 'http': {
      if (replyForeign(res, fault)) return true;
      const headers: Record<string, string> = {};
      if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after);
      const text = fault.message ?? FAULT_TEXT[fault.status] ?? `HTTP ${fault.status}`;
      sendDetail(res, fault.status, `${text} (emulated fault)`, extraFor(fault.status), headers);
      return true;
    }
    default: {
      const never: never = fault;
      return never;
    }
  }
}

/** A submit body safe to log: image fields shortened (data URIs and raw base64 can be megabytes). */
export function loggableSubmit(body: unknown, imageKeys: readonly string[]): Record<string, unknown> | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const key of imageKeys) {
    const v = copy[key];
    if (typeof v !== 'string') continue;
    copy[key] = /^(https?:|data:)/i.test(v) ? describeImageUrl(v) : `base64… (${v.length} chars)`;
  }
  return copy;
}

export type OutputFormat = 'png' | 'jpeg' | 'webp';

const MEDIA_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
const EXTENSIONS: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

export function mediaTypeOf(format: OutputFormat): string {
  return MEDIA_TYPES[format];
}

export function extensionOf(format: OutputFormat): string {
  return EXTENSIONS[format];
}

/** Converted outputs, per job (the transform renders PNG; a request may ask for JPEG or WebP). */
const converted = new WeakMap<Job, Promise<Buffer>>();

/** The job's output in `format` (converted once, then kept with the job). */
export function outputIn(job: Job, format: OutputFormat): Promise<Buffer> | undefined {
  const png = job.output;
  if (!png) return undefined;
  if (format === 'png') return Promise.resolve(png);
  let bytes = converted.get(job);
  if (!bytes) {
    bytes = import('sharp').then(({ default: sharp }) =>
      format === 'jpeg' ? sharp(png).jpeg({ quality: 90 }).toBuffer() : sharp(png).webp({ quality: 90 }).toBuffer(),
    );
    converted.set(job, bytes);
  }
  return bytes;
}

/** The id of a job in the emulator's table, or `undefined` (ids are our own UUIDs). */
export function findJob(ctx: EmulatorContext, id: string | null | undefined): Job | undefined {
  return id ? ctx.jobs.get(id) : undefined;
}

/** The request's own origin on this listener (its Host header), as context.ts's requestOrigin. */
export function originOf(ctx: EmulatorContext, req: IncomingMessage, fallback: string): string {
  const host = req.headers.host;
  return host && /^[\w.\-:[\]]+$/.test(host) ? `http://${host}` : fallback || ctx.origin;
}

/** The host output URLs name: ours, or the untrusted-host fault's (keeping our port unless it names one). */
export function outputHost(ctx: EmulatorContext, origin: string): string {
  const url = new URL(origin);
  const evil = ctx.faults.outputHost();
  if (evil === undefined) return url.host;
  return evil.includes(':') ? evil : `${evil}:${url.port}`;
}
