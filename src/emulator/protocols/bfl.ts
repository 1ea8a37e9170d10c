/**
 * Black Forest Labs' API on the emulator (docs/architecture.md#the-emulator):
 * `POST /v1/flux-kontext-pro|max` (header `x-key`) answers `{id, polling_url, cost}`, and the
 * `polling_url` points at the emulator's SECOND listener — as BFL's point at a regional host —
 * so a client that rebuilds it from its base URL fails. `GET /v1/get_result?id=` answers only
 * there: `Pending`, `Ready` (`result.sample`, `result.seed`), `Error`, `Request Moderated` /
 * `Content Moderated` (a `remote-failed` fault), `Task not found`. The sample URL carries an
 * expiry and a signature in its query, and answers 403 once expired (10 minutes, as BFL's
 * delivery URLs; `deliveryTtlMs` shortens it for tests). BFL has no cancel endpoint.
 * Unconfirmed by BFL and chosen here: `Task not found` comes with HTTP 200; `Error` carries the
 * job's error in `details`; the error bodies are FastAPI's `{"detail": …}`.
 */
import { createHash, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { durations, type EmulatorContext } from '../context.js';
import { acceptedFault } from '../fault-reply.js';
import type { CallPlan } from '../faults.js';
import { sendBody } from '../files.js';
import { readJsonBody, sendJson } from '../http-io.js';
import type { Job } from '../jobs.js';
import { SEED_MAX } from '../model-info.js';
import type { RequestLogEntry } from '../request-log.js';
import { BflSubmitBody, fastApiIssues, inputImageUrl } from './bfl-body.js';
import {
  extensionOf,
  findJob,
  loggableSubmit,
  mediaTypeOf,
  outputHost,
  outputIn,
  type OutputFormat,
  type ProtocolRoute,
  type ProtocolServe,
  replyWithProtocolFault,
  sendDetail,
} from './bfl-fal-wire.js';

const MODELS: Readonly<Record<string, number>> = { 'flux-kontext-pro': 4, 'flux-kontext-max': 8 };
const IMAGE_KEYS = ['input_image', 'input_image_2', 'input_image_3', 'input_image_4'];
/** The output format each job was asked for (jobs are the shared job table's; keyed weakly by job). */
const formats = new WeakMap<Job, OutputFormat>();

export function matchBfl(method: string, root: string | undefined, seg: readonly string[]): ProtocolRoute | undefined {
  if (root === 'v1' && seg.length === 1 && method === 'POST' && MODELS[seg[0] ?? ''] !== undefined) {
    const model = seg[0] ?? '';
    return { kind: 'protocol', target: 'submit', serve: guarded((c, q, r, e, p) => submit(c, q, r, e, p, model)) };
  }
  if (root === 'v1' && seg.length === 1 && seg[0] === 'get_result' && method === 'GET') {
    return { kind: 'protocol', target: 'status', serve: guarded(getResult) };
  }
  if (
    root === 'bfl-delivery' &&
    seg.length === 2 &&
    method === 'GET' &&
    /^sample\.(png|jpg|webp)$/.test(seg[1] ?? '')
  ) {
    const id = seg[0] ?? '';
    return { kind: 'protocol', target: 'download', serve: (c, q, r, e, p) => delivery(c, q, r, e, p, id) };
  }
  return undefined;
}

/** Faults first, then the key: `x-key`, any non-empty value (a signed-in account). */
function guarded(serve: ProtocolServe): ProtocolServe {
  return (ctx, req, res, entry, plan) => {
    if (replyWithProtocolFault(req, res, plan, entry)) return;
    const key = req.headers['x-key'];
    if (typeof key !== 'string' || key.trim() === '') return sendDetail(res, 403, 'Not authenticated');
    return serve(ctx, req, res, entry, plan);
  };
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
  const logged = loggableSubmit(read.value, IMAGE_KEYS);
  if (logged) entry.body = logged;
  const parsed = BflSubmitBody.safeParse(read.value);
  if (!parsed.success) return sendDetail(res, 422, fastApiIssues(parsed.error));
  const body = parsed.data;
  const imageUrl = body.input_image ? inputImageUrl(body.input_image) : undefined;
  if (!imageUrl) {
    const msg = 'input_image must be raw base64 (no data: prefix) or an http(s) URL (emulator: edits only)';
    return sendDetail(res, 422, [{ loc: ['body', 'input_image'], msg, type: 'value_error' }]);
  }
  const { stuck, failure } = ctx.faults.onAccepted();
  if (stuck || failure !== undefined)
    entry.fault = [stuck ? 'stuck' : '', failure !== undefined ? 'remote-failed' : ''].filter(Boolean).join('+');
  const job = ctx.jobs.create({
    modelId: model,
    prompt: body.prompt,
    imageUrl,
    seed: body.seed ?? randomInt(0, SEED_MAX + 1),
    aspectRatio: body.aspect_ratio ?? undefined,
    ...durations(ctx),
    stuck,
    failure,
  });
  formats.set(job, body.output_format ?? 'png');
  entry.accepted = true;
  const late = acceptedFault(plan);
  if (late) {
    replyWithProtocolFault(req, res, late, entry);
    return;
  }
  sendJson(res, 200, {
    id: job.id,
    polling_url: `${ctx.pollOrigin}/v1/get_result?id=${encodeURIComponent(job.id)}`,
    cost: MODELS[model],
    input_mp: 1.05,
    output_mp: 1.05,
  });
}

/** The moderation words BFL reports, by the job error's `code` (the `remote-failed` fault's default is content). */
function failedStatus(error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'request_moderated') return 'Request Moderated';
  if (code === 'content_moderated') return 'Content Moderated';
  return 'Error';
}

function getResult(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry): void {
  // Only the polling host knows the task: a client that rebuilt the URL from its base lands here.
  if (!onPollListener(ctx, req)) return sendDetail(res, 404, 'Not Found');
  const id = new URL(req.url ?? '/', 'http://emulator').searchParams.get('id');
  const job = findJob(ctx, id);
  if (!job) return sendJson(res, 200, { id, status: 'Task not found' });
  const base = { id: job.id, progress: null, preview: null };
  switch (job.phase) {
    case 'in_queue':
    case 'in_progress':
      return sendJson(res, 200, { ...base, status: 'Pending', result: null, details: null });
    case 'completed': {
      const withheld = ctx.faults.withholdOutput();
      if (withheld) entry.fault = 'missing-output';
      return sendJson(res, 200, {
        ...base,
        status: 'Ready',
        result: withheld ? null : readyResult(ctx, job),
        details: null,
      });
    }
    case 'failed': {
      const status = failedStatus(job.error);
      const details = status === 'Error' ? job.error : { 'Moderation Reasons': [messageOf(job.error)] };
      return sendJson(res, 200, { ...base, status, result: null, details });
    }
    case 'cancelled':
      return sendJson(res, 200, { ...base, status: 'Error', result: null, details: { error: 'cancelled' } });
    default: {
      const never: never = job.phase;
      return never;
    }
  }
}

function onPollListener(ctx: EmulatorContext, req: IncomingMessage): boolean {
  return String(req.socket.localPort) === new URL(ctx.pollOrigin).port;
}

function messageOf(error: unknown): string {
  const m = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : 'flagged';
}

function readyResult(ctx: EmulatorContext, job: Job): Record<string, unknown> {
  const format = formats.get(job) ?? 'png';
  const expires = ctx.settings.now() + ctx.settings.deliveryTtlMs;
  const host = outputHost(ctx, ctx.origin);
  const sample =
    `http://${host}/bfl-delivery/${job.id}/sample.${extensionOf(format)}` +
    `?se=${expires}&sig=${signature(job.id, expires)}`;
  const start = Date.parse(job.createdAt) / 1000;
  const end = Date.parse(job.finishedAt ?? job.createdAt) / 1000;
  return {
    sample,
    prompt: job.spec.prompt,
    seed: job.spec.seed,
    start_time: start,
    end_time: end,
    duration: end - start,
  };
}

function signature(id: string, expires: number): string {
  return createHash('sha256').update(`${id}:${expires}`).digest('hex').slice(0, 32);
}

async function delivery(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  plan: CallPlan,
  id: string,
): Promise<void> {
  // Call faults (resets, 5xx) hit the CDN like any other call; download faults come in sendBody.
  if (replyWithProtocolFault(req, res, plan, entry)) return;
  const q = new URL(req.url ?? '/', 'http://emulator').searchParams;
  const expires = Number(q.get('se'));
  if (!Number.isFinite(expires) || q.get('sig') !== signature(id, expires)) {
    return sendDetail(res, 403, 'Signature did not match');
  }
  if (ctx.settings.now() > expires) return sendDetail(res, 403, 'This delivery URL has expired');
  const job = ctx.jobs.get(id);
  const format = job ? (formats.get(job) ?? 'png') : 'png';
  const bytes = job ? await outputIn(job, format) : undefined;
  if (!bytes) return sendDetail(res, 404, 'Not Found');
  await sendBody(ctx, req, res, bytes.length, mediaTypeOf(format), (o, n) => bytes.subarray(o, o + n), entry);
}
