/**
 * fal.ai's queue calls: submit (`POST {base}/fal-ai/flux-pro/kontext`, body from the model table),
 * then the URLs it returned: `status_url`, `response_url` (the result) and `cancel_url`, whose
 * paths drop the `/kontext` subpath (`fal-ai/flux-pro/requests/{id}`). A request re-attached by a
 * later run has only its id: its URLs are rebuilt as fal's own clients build them, from the base
 * and the endpoint's `owner/alias`. Every URL is host-checked before the key is sent to it.
 */
import { buildInput } from '../../models/params.js';
import { lookupModel } from '../../models/registry.js';
import type { ModelEntry } from '../../models/types.js';
import { InputRejectedError, SubmitUncertainError } from '../runcomfy/errors.js';
import { idProblem, requestIdProblem } from '../request-id.js';
import type { EditRequest, RetryListener } from '../types.js';
import { assertApiUrl, type ApiHostRule } from '../wire/hosts.js';
import { imageForEntry } from '../wire/image-input.js';
import { callJson, type JsonApi, type JsonObject, type JsonReply } from '../wire/json-call.js';

export interface FalUrls {
  readonly status: string;
  readonly response: string;
  readonly cancel: string;
}

export function falEntry(model: string): ModelEntry {
  const entry = lookupModel('fal', model);
  if (entry) return entry;
  throw new InputRejectedError(`fal.ai does not serve the model "${model}"`, {
    status: 404,
    hint: 'use flux-kontext-pro or flux-kontext-max (`kontext providers` lists them)',
  });
}

/** `fal-ai/flux-pro` of `fal-ai/flux-pro/kontext[/max]`: where requests of every Kontext endpoint live. */
const KONTEXT_APP = 'fal-ai/flux-pro';

export function rebuiltUrls(baseUrl: string, requestId: string): FalUrls {
  const response = `${baseUrl}/${KONTEXT_APP}/requests/${encodeURIComponent(requestId)}`;
  return { status: `${response}/status`, response, cancel: `${response}/cancel` };
}

export async function submitFal(
  api: JsonApi,
  baseUrl: string,
  req: EditRequest,
  signal?: AbortSignal,
  onRetry?: RetryListener,
  stop?: AbortSignal,
): Promise<{ requestId: string; model: string; urls: FalUrls }> {
  const entry = falEntry(req.model);
  const body = buildInput(entry, {
    prompt: req.prompt,
    image: imageForEntry(entry, req.imageUrl, 'fal.ai'),
    seed: req.seed,
    aspectRatio: req.aspectRatio,
    params: req.params,
  });
  const { body: reply } = await callJson(api, {
    call: 'submit',
    method: 'POST',
    url: `${baseUrl}/${entry.endpoint}`,
    body,
    submit: true,
    signal,
    stop,
    onRetry,
  });
  const id = reply['request_id'];
  const problem = typeof id === 'string' ? requestIdProblem(id, { secrets: api.secrets }) : idProblem(id);
  if (typeof id !== 'string' || problem !== undefined) {
    const what = `the reply's request_id cannot be used (${problem})`;
    throw new SubmitUncertainError(`fal.ai submit: ${what}; the request may have been submitted`, {
      secrets: api.secrets,
      hint: 'the request may have been submitted (and billed); check your fal.ai dashboard before running again',
    });
  }
  const fallback = rebuiltUrls(baseUrl, id);
  const urlAt = (key: string, or: string): string => {
    const v = reply[key];
    return typeof v === 'string' && /^https?:\/\//i.test(v) ? v : or;
  };
  const urls = {
    status: urlAt('status_url', fallback.status),
    response: urlAt('response_url', fallback.response),
    cancel: urlAt('cancel_url', fallback.cancel),
  };
  return { requestId: id, model: entry.id, urls };
}

export interface ReadSpec {
  readonly api: JsonApi;
  readonly rule: ApiHostRule;
  readonly requestId: string;
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: RetryListener | undefined;
}

export function getStatus(spec: ReadSpec, url: string): Promise<JsonReply> {
  assertApiUrl(url, spec.rule, 'status_url');
  return callJson(spec.api, { call: 'status', method: 'GET', url, gone: goneFor(spec.requestId), ...common(spec) });
}

/**
 * fal's own word that a request is unknown: a JSON 404 whose `detail` says "not found" and names
 * the request id. fal does not document it (the emulator's shape, chosen to be hard to fake by
 * accident): any other 404 proves nothing, so a re-attach does not pay again on it.
 */
function goneFor(requestId: string): (status: number, body: JsonObject) => boolean {
  return (status, body) => {
    const detail = body['detail'];
    return status === 404 && typeof detail === 'string' && /not found/i.test(detail) && detail.includes(requestId);
  };
}

/** The result; a 400 (fal answers "still in progress" for an unfinished request) comes back as an answer. */
export function getResult(spec: ReadSpec, url: string): Promise<JsonReply> {
  assertApiUrl(url, spec.rule, 'response_url');
  return callJson(spec.api, {
    call: 'result',
    method: 'GET',
    url,
    answers: (s) => s === 400 || s === 202,
    gone: goneFor(spec.requestId),
    ...common(spec),
  });
}

/**
 * fal's cancel answers `OK` (removed from the queue), `CANCELLATION_REQUESTED`, `ALREADY_COMPLETED`
 * or `NOT_FOUND`. A cancellation *requested* may be one only signalled to a runner already working
 * (which may finish it, billed): it counts as cancelled only when the result then reads a
 * cancellation (499 `client_cancelled`); otherwise it is `not_cancellable`, and the run keeps the
 * request in its journal, so the next run re-attaches to it instead of paying again.
 */
export async function cancelFal(spec: ReadSpec, urls: FalUrls): Promise<'cancelled' | 'not_cancellable'> {
  assertApiUrl(urls.cancel, spec.rule, 'cancel_url');
  const { body } = await callJson(spec.api, {
    call: 'cancel',
    method: 'PUT',
    url: urls.cancel,
    answers: (s) => s === 400 || s === 404 || s === 409,
    ...common(spec),
  });
  const word = String(body['status'] ?? '').toUpperCase();
  if (word === 'OK') return 'cancelled';
  if (word !== 'CANCELLATION_REQUESTED') return 'not_cancellable';
  return (await readsCancelled(spec, urls.response)) ? 'cancelled' : 'not_cancellable';
}

/** Whether the request's result is fal's JSON 499: the request was cancelled. Anything else proves nothing. */
async function readsCancelled(spec: ReadSpec, url: string): Promise<boolean> {
  try {
    await getResult(spec, url);
    return false;
  } catch (e) {
    return e instanceof InputRejectedError && e.status === 499 && e.jsonReply;
  }
}

function common(spec: ReadSpec): { requestId: string; signal?: AbortSignal; onRetry?: RetryListener } {
  return {
    requestId: spec.requestId,
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.onRetry ? { onRetry: spec.onRetry } : {}),
  };
}
