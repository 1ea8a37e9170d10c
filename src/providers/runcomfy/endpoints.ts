/**
 * The five endpoints of docs/architecture.md#the-runcomfy-api, each a thin typed wrapper over {@link callApi}.
 */
import { lookupModel } from '../../models/registry.js';
import type { ModelEntry } from '../../models/types.js';
import type { EditRequest, ModelInfo, RetryListener } from '../types.js';
import { imageForEntry } from '../wire/image-input.js';
import { callApi, type ApiContext, type JsonObject } from './api-call.js';
import { SubmitUncertainError } from './errors.js';
import { idProblem, requestIdProblem } from '../request-id.js';

/** `model_id` keeps its slashes (`blackforestlabs/flux-1-kontext/pro/edit`); each segment is escaped. */
function modelPath(model: string): string {
  return `/models/${model
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/')}`;
}

function requestPath(requestId: string, action: 'status' | 'result' | 'cancel'): string {
  return `/requests/${encodeURIComponent(requestId)}/${action}`;
}

/**
 * The image rules of `model` in the model table; a catalog model the table does not list gets
 * Kontext's: the inline cap is the Model API's request limit, not the model's.
 */
function imageRulesOf(model: string): ModelEntry | undefined {
  return lookupModel('runcomfy', model) ?? lookupModel('runcomfy', 'flux-kontext-pro');
}

/**
 * The submit body: the model's input object itself; explicit fields win over `params`. An inline
 * image over the table's cap is refused here, before anything is sent (wire/image-input.ts).
 */
function submitBody(req: EditRequest): Record<string, unknown> {
  const entry = imageRulesOf(req.model);
  const image = entry ? imageForEntry(entry, req.imageUrl, 'RunComfy') : req.imageUrl;
  const body: Record<string, unknown> = { ...(req.params ?? {}), prompt: req.prompt, image_url: image };
  if (req.seed !== undefined) body['seed'] = req.seed;
  if (req.aspectRatio !== undefined) body['aspect_ratio'] = req.aspectRatio;
  return body;
}

export async function submitRequest(
  ctx: ApiContext,
  req: EditRequest,
  signal?: AbortSignal,
  onRetry?: RetryListener,
  stop?: AbortSignal,
): Promise<{ requestId: string }> {
  const reply = await callApi(ctx, {
    call: 'submit',
    method: 'POST',
    path: modelPath(req.model),
    body: submitBody(req),
    submit: true,
    signal,
    stop,
    onRetry,
  });
  const raw = reply['request_id'];
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  const problem = typeof id === 'string' ? requestIdProblem(id, { secrets: [ctx.token] }) : idProblem(id);
  if (typeof id === 'string' && problem === undefined) return { requestId: id };
  throw new SubmitUncertainError(
    `submit: the reply's request_id cannot be used (${problem}); the request may have been submitted`,
    { secrets: [ctx.token] },
  );
}

export function getStatus(
  ctx: ApiContext,
  requestId: string,
  signal?: AbortSignal,
  onRetry?: RetryListener,
): Promise<JsonObject> {
  return callApi(ctx, {
    call: 'status',
    method: 'GET',
    path: requestPath(requestId, 'status'),
    requestId,
    signal,
    onRetry,
  });
}

export function getResult(
  ctx: ApiContext,
  requestId: string,
  signal?: AbortSignal,
  onRetry?: RetryListener,
): Promise<JsonObject> {
  return callApi(ctx, {
    call: 'result',
    method: 'GET',
    path: requestPath(requestId, 'result'),
    requestId,
    signal,
    onRetry,
  });
}

/** Cancel; the reply's `outcome` (or, failing that, its `status`) says whether it worked. */
export async function cancelRequest(
  ctx: ApiContext,
  requestId: string,
  signal?: AbortSignal,
): Promise<'cancelled' | 'not_cancellable'> {
  const reply = await callApi(ctx, {
    call: 'cancel',
    method: 'POST',
    path: requestPath(requestId, 'cancel'),
    requestId,
    signal,
  });
  const word = String(reply['outcome'] ?? reply['status'] ?? '')
    .trim()
    .toLowerCase();
  return word === 'cancelled' || word === 'canceled' ? 'cancelled' : 'not_cancellable';
}

/** Model details: price (`base_price_usd`, tolerant of a few spellings) and the input schema. */
export async function getModelInfo(ctx: ApiContext, model: string, signal?: AbortSignal): Promise<ModelInfo> {
  const reply = await callApi(ctx, { call: 'model info', method: 'GET', path: modelPath(model), signal });
  return { model, priceUsd: priceOf(reply), inputSchema: reply['input_schema'] ?? reply['schema'] ?? reply['input'] };
}

/**
 * The first field that holds a price: a number, or a string of one, finite and not negative. A blank
 * string (a catalog's "no price yet") is no price, not $0, and does not hide the next field.
 */
export function priceOf(reply: JsonObject): number | null {
  const pricing = reply['pricing'];
  const nested = pricing !== null && typeof pricing === 'object' ? (pricing as JsonObject) : {};
  for (const v of [reply['base_price_usd'], reply['price_usd'], nested['base_price_usd'], nested['price_usd']]) {
    if (typeof v === 'string' && v.trim() === '') continue;
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
  }
  return null;
}
