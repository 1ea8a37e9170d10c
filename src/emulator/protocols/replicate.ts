/**
 * Replicate's predictions API on the emulator (docs/architecture.md#the-emulator), header
 * `Authorization: Bearer …`: `POST /v1/models/black-forest-labs/{flux-kontext-pro|max}/predictions`
 * with `{input}` answers 201 and the prediction (status `starting`); with `Prefer: wait[=N]`
 * (N ≤ 60, bare `wait` = 60) the reply is held until the prediction is done or N seconds have
 * passed. `GET /v1/predictions/{id}` reads it (`starting` → `processing` → `succeeded` with
 * `output` one URL string, `failed` with an `error` string, or `canceled`);
 * `POST /v1/predictions/{id}/cancel` cancels it, running ones included, and answers the
 * prediction. Errors are RFC-7807-like `{title, detail, status}`; a 429 says "resets in ~30s".
 * A `remote-failed` fault fails with E005 (flagged as sensitive). Outputs are served from
 * `/replicate-delivery/{id}/output.{png|jpg}` (Replicate: `replicate.delivery`) for an hour, then
 * 404 and `data_removed: true`. Unconfirmed and chosen here: create answers 201 also when held.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { durations, type EmulatorContext } from '../context.js';
import { sendBody } from '../files.js';
import { readJsonBody, sendJson } from '../http-io.js';
import type { Job } from '../jobs.js';
import { ASPECT_RATIOS, type AspectRatio } from '../model-info.js';
import type { RequestLogEntry } from '../request-log.js';
import type { CallPlan } from '../faults.js';
import { acceptedFault, faultLabel, replyForeign } from '../fault-reply.js';
import { findJob, loggableSubmit, mediaTypeOf, originOf, outputIn, type ProtocolRoute } from './bfl-fal-wire.js';
import { ReplicateCreateBody, validationBody } from './replicate-body.js';

const MODELS = new Set(['flux-kontext-pro', 'flux-kontext-max']);
/** Outputs (and inputs, logs) of API predictions are deleted after one hour. */
const RETENTION_MS = 3600_000;
const WAIT_MAX_S = 60;
/** How often a held create looks at its job. */
const HOLD_STEP_MS = 5;

interface Prediction {
  readonly model: string;
  readonly input: Record<string, unknown>;
  readonly format: 'png' | 'jpeg';
  /** Set when cancelled while running (the job store cancels only queued jobs). */
  canceledAt?: string;
}
const predictions = new WeakMap<Job, Prediction>();

const problem = (res: ServerResponse, status: number, title: string, detail: string, headers = {}): void =>
  sendJson(res, status, { title, detail, status }, headers);

export function matchReplicate(
  method: string,
  root: string | undefined,
  seg: readonly string[],
): ProtocolRoute | undefined {
  if (root === 'replicate-delivery') return deliveryRoute(method, seg);
  if (root !== 'v1') return undefined;
  const [head, a, b, c, ...more] = seg;
  if (more.length > 0) return undefined;
  if (head === 'models' && a === 'black-forest-labs' && MODELS.has(b ?? '') && c === 'predictions' && method === 'POST')
    return route('submit', (x, q, r, e, p) => create(x, q, r, e, p, `${a}/${b}`));
  if (head !== 'predictions' || a === undefined || c !== undefined) return undefined;
  if (b === undefined && method === 'GET') return route('status', (x, q, r) => read(x, q, r, a));
  if (b === 'cancel' && method === 'POST') return route('cancel', (x, q, r, e) => cancel(x, q, r, e, a));
  return undefined;
}

function route(target: ProtocolRoute['target'], serve: ProtocolRoute['serve']): ProtocolRoute {
  return {
    kind: 'protocol',
    target,
    serve: (ctx, req, res, entry, plan) => {
      if (replyWithFault(req, res, plan, entry)) return;
      const auth = req.headers.authorization;
      if (typeof auth !== 'string' || !/^Bearer\s+\S+/i.test(auth.trim()))
        return problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
      return serve(ctx, req, res, entry, plan);
    },
  };
}

/** The scenario's call fault in Replicate's shape; true when it replied. */
function replyWithFault(req: IncomingMessage, res: ServerResponse, plan: CallPlan, entry: RequestLogEntry): boolean {
  const { fault } = plan;
  if (!fault) return false;
  entry.fault = [entry.fault, faultLabel(fault, plan.source)].filter(Boolean).join('+');
  if (fault.kind === 'reset') {
    req.socket.destroy();
    return true;
  }
  if (fault.kind === 'malformed-json') {
    const text = '{"id": "emulated", "status": "starting", <<not json';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
    return true;
  }
  if (replyForeign(res, fault)) return true;
  const headers: Record<string, string> = {};
  if (fault.retry_after !== undefined) headers['retry-after'] = String(fault.retry_after);
  const [title, detail] = FAULT_TEXT[fault.status] ?? ['Error', `HTTP ${fault.status}`];
  problem(res, fault.status, title, `${fault.message ?? detail} (emulated fault)`, headers);
  return true;
}

const FAULT_TEXT: Record<number, [string, string]> = {
  401: ['Unauthenticated', 'You did not pass a valid authentication token'],
  402: ['Insufficient credit', 'You have insufficient credit to run this model. Go to the billing page to add credit.'],
  403: ['Forbidden', 'You do not have permission to run this model'],
  404: ['Not found', 'The requested resource could not be found'],
  422: ['Input validation failed', '- input: invalid\n'],
  429: ['Too Many Requests', 'Request was throttled. Your rate limit resets in ~30s.'],
  500: ['Internal Server Error', 'Internal server error'],
  502: ['Bad Gateway', 'Bad gateway'],
  503: ['Service Unavailable', 'Service unavailable'],
};

/** `Prefer: wait` → 60, `wait=N` → N (1..60); anything else: no hold. */
function preferWaitS(req: IncomingMessage): number {
  const h = req.headers.prefer;
  const m = typeof h === 'string' ? /(?:^|[\s,;])wait(?:\s*=\s*(\d+))?(?:$|[\s,;])/i.exec(h) : null;
  if (!m) return 0;
  return m[1] === undefined ? WAIT_MAX_S : Math.min(WAIT_MAX_S, Math.max(1, Number(m[1])));
}

async function create(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  plan: CallPlan,
  model: string,
): Promise<void> {
  const body = await readJsonBody(req);
  if (!body.ok) return problem(res, body.status, 'Bad request', body.message);
  const input = (body.value as { input?: unknown } | undefined)?.input;
  const logged = loggableSubmit(input, ['input_image']);
  if (logged) entry.body = logged;
  const parsed = ReplicateCreateBody.safeParse(body.value);
  if (!parsed.success) return sendJson(res, 422, validationBody(parsed.error));
  const { input: given } = parsed.data;
  const { stuck, failure } = ctx.faults.onAccepted();
  if (stuck || failure !== undefined)
    entry.fault = [stuck ? 'stuck' : '', failure !== undefined ? 'remote-failed' : ''].filter(Boolean).join('+');
  const ratio = (ASPECT_RATIOS as readonly string[]).includes(given.aspect_ratio ?? '')
    ? given.aspect_ratio
    : undefined;
  const job = ctx.jobs.create({
    modelId: model,
    prompt: given.prompt,
    imageUrl: given.input_image,
    // Replicate draws a seed when none is sent and does not say which; the emulator uses 0 then.
    seed: given.seed ?? 0,
    // Ratios the emulated transform lacks (match_input_image, 4:5, 2:1, ...) keep the input's.
    aspectRatio: ratio as AspectRatio | undefined,
    ...durations(ctx),
    stuck,
    failure: failure === undefined ? undefined : E005,
  });
  predictions.set(job, { model, input: logged ?? {}, format: given.output_format === 'jpg' ? 'jpeg' : 'png' });
  entry.accepted = true;
  const late = acceptedFault(plan);
  if (late) {
    replyWithFault(req, res, late, entry);
    return;
  }
  const holdS = preferWaitS(req);
  if (holdS > 0) entry.fault = [entry.fault, `held ≤${holdS}s`].filter(Boolean).join('+');
  const until = performance.now() + holdS * 1000;
  while (holdS > 0 && !terminal(job) && performance.now() < until && !ctx.closed && !res.destroyed) {
    await ctx.timers.sleep(HOLD_STEP_MS);
  }
  sendJson(res, 201, predictionBody(ctx, req, job));
}

/** What a moderated prediction says (Replicate's widely seen E005). */
const E005 = {
  code: 'E005',
  message: 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)',
};

function terminal(job: Job): boolean {
  return (
    job.phase === 'completed' ||
    job.phase === 'failed' ||
    job.phase === 'cancelled' ||
    !!predictions.get(job)?.canceledAt
  );
}

const STATUS = {
  in_queue: 'starting',
  in_progress: 'processing',
  completed: 'succeeded',
  failed: 'failed',
  cancelled: 'canceled',
} as const;

function expired(ctx: EmulatorContext, job: Job): boolean {
  return job.finishedAt !== undefined && ctx.settings.now() - Date.parse(job.finishedAt) > RETENTION_MS;
}

function predictionBody(ctx: EmulatorContext, req: IncomingMessage, job: Job): Record<string, unknown> {
  const p = predictions.get(job);
  const base = `${originOf(ctx, req, ctx.origin)}/v1/predictions/${job.id}`;
  const canceled = p?.canceledAt !== undefined && job.phase !== 'cancelled';
  const status = canceled ? 'canceled' : STATUS[job.phase];
  const removed = expired(ctx, job);
  const body: Record<string, unknown> = {
    id: job.id,
    model: p?.model,
    version: 'hidden',
    input: removed ? {} : (p?.input ?? {}),
    logs: '',
    output: status === 'succeeded' && !removed && !ctx.faults.withholdOutput() ? outputUrl(ctx, req, job) : null,
    data_removed: removed,
    error: status === 'failed' ? errorText(job.error) : null,
    status,
    created_at: job.createdAt,
    urls: { get: base, cancel: `${base}/cancel`, web: `https://replicate.com/p/${job.id}` },
  };
  if (job.phase !== 'in_queue') body.started_at = job.createdAt;
  const completedAt = canceled ? p?.canceledAt : job.finishedAt;
  if (completedAt !== undefined && status !== 'processing') body.completed_at = completedAt;
  if (status === 'succeeded') body.metrics = { predict_time: job.spec.runMs / 1000 };
  return body;
}

function errorText(error: unknown): string {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' ? e.message : 'Prediction failed';
  // The input fetch failure keeps its code, so a client can tell it and host the input again.
  return typeof e.code === 'string' && e.code !== 'E005' ? `${message} (${e.code})` : message;
}

function outputUrl(ctx: EmulatorContext, req: IncomingMessage, job: Job): string {
  const origin = new URL(originOf(ctx, req, ctx.origin));
  const evil = ctx.faults.outputHost();
  let host = origin.host;
  if (evil !== undefined) host = evil.includes(':') ? evil : `${evil}:${origin.port}`;
  const ext = predictions.get(job)?.format === 'jpeg' ? 'jpg' : 'png';
  return `http://${host}/replicate-delivery/${job.id}/output.${ext}`;
}

function read(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  const job = findJob(ctx, id);
  if (!job || !predictions.has(job)) return problem(res, 404, 'Not found', 'The requested resource could not be found');
  sendJson(res, 200, predictionBody(ctx, req, job));
}

function cancel(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  id: string,
): void {
  const job = findJob(ctx, id);
  const p = job ? predictions.get(job) : undefined;
  if (!job || !p) return problem(res, 404, 'Not found', 'The requested resource could not be found');
  if (ctx.faults.cancelRefused()) entry.fault = 'not-cancellable';
  else if (job.phase === 'in_queue') ctx.jobs.cancel(job);
  else if (job.phase === 'in_progress') p.canceledAt = new Date(ctx.settings.now()).toISOString();
  sendJson(res, 200, predictionBody(ctx, req, job));
}

function deliveryRoute(method: string, seg: readonly string[]): ProtocolRoute | undefined {
  const [id, file, ...more] = seg;
  if (id === undefined || more.length > 0 || method !== 'GET' || !/^output\.(png|jpg)$/.test(file ?? ''))
    return undefined;
  return {
    kind: 'protocol',
    target: 'download',
    serve: async (ctx, req, res, entry, plan) => {
      if (replyWithFault(req, res, plan, entry)) return;
      const job = ctx.jobs.get(id);
      const p = job ? predictions.get(job) : undefined;
      const bytes = job && p && !expired(ctx, job) && !p.canceledAt ? await outputIn(job, p.format) : undefined;
      if (!bytes || !p) return problem(res, 404, 'Not found', 'The requested resource could not be found');
      await sendBody(ctx, req, res, bytes.length, mediaTypeOf(p.format), (o, n) => bytes.subarray(o, o + n), entry);
    },
  };
}
