/**
 * fal.ai's queue API on the emulator (docs/architecture.md#the-emulator), header
 * `Authorization: Key …`: `POST /fal-ai/flux-pro/kontext` (and `/kontext/max`) answers
 * `{request_id, status_url, response_url, cancel_url}`, whose paths drop the `/kontext` subpath
 * as fal's do; `GET …/requests/{id}/status` says IN_QUEUE (with `queue_position`), IN_PROGRESS
 * or COMPLETED — a failed request is COMPLETED too, and its failure comes from
 * `GET …/requests/{id}`: 422 `content_policy_violation` for moderation (a `remote-failed`
 * fault), 422 `image_load_error` when the input could not be fetched, the fault error's own 4xx
 * `status` when it has one (`{"detail": message}`), 500 otherwise;
 * `PUT …/cancel` cancels a queued request (202 CANCELLATION_REQUESTED); for one in progress it
 * answers the same word, as fal sends the runner a signal that Kontext does not act on (the request
 * finishes, billed); a finished one is 400 ALREADY_COMPLETED. `GET …/status/stream` is the status as server-sent events
 * (fal-stream.ts). Outputs are
 * served from `/fal-media/files/{id}/output.{ext}` (fal: `*.fal.media`). Unconfirmed by fal
 * and chosen here: reading the result early is a 400 "Request is still in progress"; a
 * cancelled request's result is a 499 `client_cancelled`.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { durations, type EmulatorContext } from '../context.js';
import { acceptedFault } from '../fault-reply.js';
import type { CallPlan } from '../faults.js';
import { sendBody } from '../files.js';
import { readJsonBody, sendJson } from '../http-io.js';
import type { Job } from '../jobs.js';
import { SEED_MAX } from '../model-info.js';
import type { RequestLogEntry } from '../request-log.js';
import { fastApiIssues } from './bfl-body.js';
import {
  extensionOf,
  findJob,
  loggableSubmit,
  mediaTypeOf,
  originOf,
  outputHost,
  outputIn,
  type OutputFormat,
  type ProtocolRoute,
  type ProtocolServe,
  replyWithProtocolFault,
  sendDetail,
} from './bfl-fal-wire.js';
import { FalSubmitBody } from './fal-body.js';
import { streamStatus } from './fal-stream.js';

const OWNER = 'fal-ai';
const ALIAS = 'flux-pro';
/** The output format each job was asked for (fal's default is jpeg). */
const formats = new WeakMap<Job, OutputFormat>();

function route(target: ProtocolRoute['target'], serve: ProtocolServe): ProtocolRoute {
  return { kind: 'protocol', target, serve: guarded(serve) };
}

export function matchFal(method: string, root: string | undefined, seg: readonly string[]): ProtocolRoute | undefined {
  if (root === 'fal-media') return mediaRoute(method, seg);
  if (root !== OWNER || seg[0] !== ALIAS) return undefined;
  const [, sub, id, action, extra, ...more] = seg;
  if (sub === 'kontext' && method === 'POST' && (id === undefined || (id === 'max' && action === undefined))) {
    const model = id === 'max' ? 'fal-ai/flux-pro/kontext/max' : 'fal-ai/flux-pro/kontext';
    return route('submit', (c, q, r, e, p) => submit(c, q, r, e, p, model));
  }
  if (sub !== 'requests' || id === undefined || more.length > 0) return undefined;
  if (action === undefined && method === 'GET') return route('result', (c, req, r, e) => result(c, req, r, e, id));
  if (action === 'status' && extra === undefined && method === 'GET')
    return route('status', (c, q, r) => status(c, q, r, id));
  if (action === 'status' && extra === 'stream' && method === 'GET') {
    return route('status', (c, q, r) => streamStatus(c, q, r, id, (job) => statusBody(c, q, job)));
  }
  if (action === 'cancel' && extra === undefined && method === 'PUT')
    return route('cancel', (c, _q, r, e) => cancel(c, r, e, id));
  return undefined;
}

function mediaRoute(method: string, seg: readonly string[]): ProtocolRoute | undefined {
  const [files, id, file, ...more] = seg;
  if (files !== 'files' || id === undefined || more.length > 0 || method !== 'GET') return undefined;
  if (!/^output\.(png|jpg)$/.test(file ?? '')) return undefined;
  return {
    kind: 'protocol',
    target: 'download',
    serve: async (ctx, req, res, entry, plan) => {
      if (replyWithProtocolFault(req, res, plan, entry)) return;
      const job = ctx.jobs.get(id);
      const format = job ? (formats.get(job) ?? 'jpeg') : 'jpeg';
      const bytes = job ? await outputIn(job, format) : undefined;
      if (!bytes) return sendDetail(res, 404, 'Not Found');
      await sendBody(ctx, req, res, bytes.length, mediaTypeOf(format), (o, n) => bytes.subarray(o, o + n), entry);
    },
  };
}

/** An infra failure's `error_type`, as fal's 5xx bodies carry (X-Fal-Error-Type as well). */
function errorTypeFor(status: number): Record<string, unknown> {
  return status >= 500 ? { error_type: 'runner_server_error' } : {};
}

/** Faults first, then the key: `Authorization: Key <id:secret>` (any non-empty key). */
function guarded(serve: ProtocolServe): ProtocolServe {
  return (ctx, req, res, entry, plan) => {
    if (replyWithProtocolFault(req, res, plan, entry, errorTypeFor)) return;
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !/^Key\s+\S+/.test(auth.trim())) {
      return sendDetail(res, 401, 'Invalid Key Authorization header format');
    }
    return serve(ctx, req, res, entry, plan);
  };
}

function urlsFor(ctx: EmulatorContext, req: IncomingMessage, id: string): Record<string, string> {
  const base = `${originOf(ctx, req, ctx.origin)}/${OWNER}/${ALIAS}/requests/${id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

async function submit(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  plan: CallPlan,
  model: string,
): Promise<void> {
  const read = await readJsonBody(req);
  if (!read.ok) return sendDetail(res, read.status, read.message);
  const logged = loggableSubmit(read.value, ['image_url']);
  if (logged) entry.body = logged;
  const parsed = FalSubmitBody.safeParse(read.value);
  if (!parsed.success) return sendDetail(res, 422, fastApiIssues(parsed.error));
  const body = parsed.data;
  const { stuck, failure } = ctx.faults.onAccepted();
  if (stuck || failure !== undefined)
    entry.fault = [stuck ? 'stuck' : '', failure !== undefined ? 'remote-failed' : ''].filter(Boolean).join('+');
  const job = ctx.jobs.create({
    modelId: model,
    prompt: body.prompt,
    imageUrl: body.image_url,
    // fal draws a seed when none is sent and reports it with the result.
    seed: body.seed ?? randomInt(0, SEED_MAX + 1),
    aspectRatio: body.aspect_ratio,
    ...durations(ctx),
    stuck,
    failure,
  });
  formats.set(job, body.output_format ?? 'jpeg');
  entry.accepted = true;
  const late = acceptedFault(plan);
  if (late) {
    replyWithProtocolFault(req, res, late, entry, errorTypeFor);
    return;
  }
  sendJson(res, 200, {
    status: 'IN_QUEUE',
    request_id: job.id,
    ...urlsFor(ctx, req, job.id),
    queue_position: ctx.jobs.queuePosition(job) - 1,
  });
}

const STATUS_WORDS = {
  in_queue: 'IN_QUEUE',
  in_progress: 'IN_PROGRESS',
  completed: 'COMPLETED',
  failed: 'COMPLETED',
  cancelled: 'COMPLETED',
} as const;

function statusBody(ctx: EmulatorContext, req: IncomingMessage, job: Job): Record<string, unknown> {
  const body: Record<string, unknown> = {
    status: STATUS_WORDS[job.phase],
    request_id: job.id,
    ...urlsFor(ctx, req, job.id),
  };
  if (job.phase === 'in_queue') body.queue_position = ctx.jobs.queuePosition(job) - 1;
  if (job.phase === 'in_progress') body.logs = [];
  if (body.status === 'COMPLETED') body.metrics = { inference_time: job.spec.runMs / 1000 };
  return body;
}

function status(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  const job = findJob(ctx, id);
  if (!job) return sendDetail(res, 404, `Request ${id} not found`);
  sendJson(res, 200, statusBody(ctx, req, job));
}

function moderated(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /moderat|content_policy/.test(code);
}

/** A `remote-failed` error's own 4xx `status`: fal reports that failure with it (`{"detail": message}`). */
function statusOf(error: unknown): number | undefined {
  const s = typeof error === 'object' && error !== null ? (error as { status?: unknown }).status : undefined;
  return typeof s === 'number' && Number.isInteger(s) && s >= 400 && s < 500 && s !== 404 ? s : undefined;
}

function messageOf(error: unknown): string {
  const m = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : 'The request failed';
}

async function result(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  id: string,
): Promise<void> {
  const job = findJob(ctx, id);
  if (!job) return sendDetail(res, 404, `Request ${id} not found`);
  switch (job.phase) {
    case 'in_queue':
    case 'in_progress':
      return sendDetail(res, 400, 'Request is still in progress');
    case 'cancelled':
      return sendDetail(res, 499, 'Request was cancelled', { error_type: 'client_cancelled' });
    case 'failed': {
      const msg = messageOf(job.error);
      if (moderated(job.error)) {
        const type = 'content_policy_violation';
        return sendDetail(res, 422, [
          { loc: ['body', 'prompt'], msg, type, url: `https://docs.fal.ai/errors#${type}` },
        ]);
      }
      const code = (job.error as { code?: unknown } | undefined)?.code;
      const status = statusOf(job.error);
      if (status !== undefined) return sendDetail(res, status, msg);
      if (code === 'image_fetch_failed' || code === 'not_an_image') {
        return sendDetail(res, 422, [{ loc: ['body', 'image_url'], msg, type: 'image_load_error' }]);
      }
      return sendDetail(
        res,
        500,
        msg,
        { error_type: 'runner_server_error' },
        { 'x-fal-error-type': 'runner_server_error' },
      );
    }
    case 'completed': {
      const body = await completedBody(ctx, req, job);
      const withheld = ctx.faults.withholdOutput();
      if (withheld) entry.fault = 'missing-output';
      return sendJson(res, 200, withheld ? { ...body, images: [] } : body);
    }
    default: {
      const never: never = job.phase;
      return never;
    }
  }
}

async function completedBody(ctx: EmulatorContext, req: IncomingMessage, job: Job): Promise<Record<string, unknown>> {
  const format = formats.get(job) ?? 'jpeg';
  const bytes = await outputIn(job, format);
  const host = outputHost(ctx, originOf(ctx, req, ctx.origin));
  const ext = extensionOf(format);
  const image = {
    url: `http://${host}/fal-media/files/${job.id}/output.${ext}`,
    content_type: mediaTypeOf(format),
    file_name: `output.${ext}`,
    file_size: bytes?.length ?? 0,
  };
  return { images: [image], seed: job.spec.seed, has_nsfw_concepts: [false], prompt: job.spec.prompt, timings: {} };
}

function cancel(ctx: EmulatorContext, res: ServerResponse, entry: RequestLogEntry, id: string): void {
  const job = findJob(ctx, id);
  if (!job) return sendJson(res, 404, { status: 'NOT_FOUND' });
  const refused = ctx.faults.cancelRefused();
  if (refused) entry.fault = 'not-cancellable';
  // In progress: fal only signals the runner, and the model decides; a Kontext run goes on (billed).
  if (!refused && job.phase === 'in_progress') return sendJson(res, 202, { status: 'CANCELLATION_REQUESTED' });
  const outcome = refused ? 'not_cancellable' : ctx.jobs.cancel(job);
  if (outcome === 'cancelled') return sendJson(res, 202, { status: 'CANCELLATION_REQUESTED' });
  sendJson(res, 400, { status: 'ALREADY_COMPLETED' });
}
