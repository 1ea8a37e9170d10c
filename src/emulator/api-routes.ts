/** The RunComfy Model API routes: submit, status, result, cancel, model info. */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { durations, requestOrigin, type EmulatorContext } from './context.js';
import { readJsonBody, sendError, sendJson } from './http-io.js';
import { acceptedFault, replyWithFault } from './fault-reply.js';
import type { CallPlan } from './faults.js';
import type { Job } from './jobs.js';
import { describeIssues, modelInfoBody, SEED_MAX, SubmitBody } from './model-info.js';
import { loggableBody, type RequestLogEntry } from './request-log.js';
import { askFormat, outputFileOf } from './runcomfy-format.js';

const UNKNOWN_REQUEST = 404001;

export async function submit(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  modelId: string,
  entry: RequestLogEntry,
  plan: CallPlan,
): Promise<void> {
  const read = await readJsonBody(req);
  if (!read.ok) return sendError(res, read.status, 400000, read.message);
  const logged = loggableBody(read.value);
  if (logged) entry.body = logged;
  const parsed = SubmitBody.safeParse(read.value);
  if (!parsed.success) return sendError(res, 422, 422001, `Invalid input: ${describeIssues(parsed.error)}`);
  const { stuck, failure } = ctx.faults.onAccepted();
  if (stuck || failure !== undefined)
    entry.fault = [stuck ? 'stuck' : '', failure !== undefined ? 'remote-failed' : ''].filter(Boolean).join('+');
  const body = parsed.data;
  const job = ctx.jobs.create({
    modelId,
    prompt: body.prompt,
    imageUrl: body.image_url,
    seed: body.seed ?? randomInt(0, SEED_MAX + 1),
    aspectRatio: body.aspect_ratio,
    ...durations(ctx),
    stuck,
    failure,
  });
  askFormat(job, (read.value as Record<string, unknown>)['output_format']);
  entry.accepted = true;
  const late = acceptedFault(plan);
  if (late) return replyWithFault(req, res, late, entry);
  const base = `${requestOrigin(ctx, req)}/v1/requests/${job.id}`;
  sendJson(res, 200, {
    request_id: job.id,
    status_url: `${base}/status`,
    result_url: `${base}/result`,
    cancel_url: `${base}/cancel`,
  });
}

function findJob(ctx: EmulatorContext, res: ServerResponse, id: string): Job | undefined {
  const job = ctx.jobs.get(id);
  if (!job) sendError(res, 404, UNKNOWN_REQUEST, `Request ${id} not found or expired`);
  return job;
}

/**
 * The status endpoint's words are `in_queue`, `in_progress`, `completed`, `cancelled` only: a
 * failed request is `completed` there, and its failure shows on the result (`failed`, `error`).
 */
const STATUS_WORD = {
  in_queue: 'in_queue',
  in_progress: 'in_progress',
  completed: 'completed',
  failed: 'completed',
  cancelled: 'cancelled',
} as const;

export function status(ctx: EmulatorContext, res: ServerResponse, id: string): void {
  const job = findJob(ctx, res, id);
  if (!job) return;
  const body: Record<string, unknown> = { request_id: job.id, status: STATUS_WORD[job.phase] };
  if (job.phase === 'in_queue') body.queue_position = ctx.jobs.queuePosition(job);
  sendJson(res, 200, body);
}

/** Where the output is served; the untrusted-host fault swaps the host (keeping our port unless it names one). */
function outputUrl(ctx: EmulatorContext, req: IncomingMessage, job: Job): string {
  const origin = new URL(requestOrigin(ctx, req));
  const evil = ctx.faults.outputHost();
  let host = origin.host;
  if (evil !== undefined) host = evil.includes(':') ? evil : `${evil}:${origin.port}`;
  return `http://${host}/files/${job.id}/${outputFileOf(job)}`;
}

const RESULT_STATUS = {
  in_queue: 'in_queue',
  in_progress: 'in_progress',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
} as const;

export function result(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  entry: RequestLogEntry,
): void {
  const job = findJob(ctx, res, id);
  if (!job) return;
  const body: Record<string, unknown> = {
    request_id: job.id,
    status: RESULT_STATUS[job.phase],
    created_at: job.createdAt,
  };
  if (job.phase === 'completed' && ctx.faults.withholdOutput()) entry.fault = 'missing-output';
  else if (job.phase === 'completed') {
    body.output = { image: outputUrl(ctx, req, job) };
    if (ctx.faults.outputHost() !== undefined) entry.fault = 'untrusted-output-host';
  }
  if (job.phase === 'failed') body.error = job.error;
  if (job.finishedAt) body.finished_at = job.finishedAt;
  sendJson(res, 200, body);
}

export function cancel(ctx: EmulatorContext, res: ServerResponse, id: string, entry: RequestLogEntry): void {
  const job = findJob(ctx, res, id);
  if (!job) return;
  const refused = ctx.faults.cancelRefused();
  if (refused) entry.fault = 'not-cancellable';
  const outcome = refused ? 'not_cancellable' : ctx.jobs.cancel(job);
  sendJson(res, 202, { request_id: job.id, status: job.phase, outcome });
}

export function modelInfo(ctx: EmulatorContext, res: ServerResponse, modelId: string): void {
  sendJson(res, 200, modelInfoBody(modelId, ctx.settings.priceUsd));
}
