/**
 * BFL's two calls: submit (`POST {base}/v1/flux-kontext-pro|max`, body from the model table) and
 * one read of the `polling_url` it returned — used exactly as given (it names the region that
 * holds the task; the host is checked before the key is sent there). The request id kontext
 * journals is that `polling_url`: it is all a later run needs to re-attach.
 */
import { buildInput } from '../../models/params.js';
import { lookupModel } from '../../models/registry.js';
import type { ModelEntry } from '../../models/types.js';
import { InputRejectedError, RemoteFailedError, SubmitUncertainError } from '../runcomfy/errors.js';
import { requestIdProblem } from '../request-id.js';
import type { EditRequest, RetryListener } from '../types.js';
import { assertApiUrl, type ApiHostRule } from '../wire/hosts.js';
import { imageForEntry } from '../wire/image-input.js';
import { callJson, type JsonApi, type JsonObject } from '../wire/json-call.js';
import { detailText } from '../wire/map-status.js';
import { ModeratedError } from '../wire/moderated.js';
import { readBflStatus } from './status.js';
import { clipRedacted } from '../../util/redact.js';

export function bflEntry(model: string): ModelEntry {
  const entry = lookupModel('bfl', model);
  if (entry) return entry;
  throw new InputRejectedError(`BFL does not serve the model "${model}"`, {
    status: 404,
    hint: 'use flux-kontext-pro or flux-kontext-max (`kontext providers` lists them)',
  });
}

export async function submitBfl(
  api: JsonApi,
  baseUrl: string,
  req: EditRequest,
  signal?: AbortSignal,
  onRetry?: RetryListener,
  stop?: AbortSignal,
): Promise<{ requestId: string; model: string }> {
  const entry = bflEntry(req.model);
  const body = buildInput(entry, {
    prompt: req.prompt,
    image: imageForEntry(entry, req.imageUrl, 'BFL'),
    seed: req.seed,
    aspectRatio: req.aspectRatio,
    params: req.params,
  });
  const { body: reply } = await callJson(api, {
    call: 'submit',
    method: 'POST',
    url: `${baseUrl}${entry.endpoint}`,
    body,
    submit: true,
    signal,
    stop,
    onRetry,
  });
  const pollingUrl = reply['polling_url'];
  const problem = pollingUrlProblem(pollingUrl, api.secrets);
  if (typeof pollingUrl === 'string' && problem === undefined) return { requestId: pollingUrl, model: entry.id };
  const rawId = reply['id'];
  const id =
    typeof rawId === 'string' && requestIdProblem(rawId, { secrets: api.secrets }) === undefined
      ? ` (id ${rawId})`
      : '';
  throw new SubmitUncertainError(`BFL submit: ${problem}${id}; the request may have been submitted`, {
    secrets: api.secrets,
    hint: 'the request may have been submitted (and billed); check your BFL dashboard before running again',
  });
}

/** Longer than any real polling URL (a regional host and a UUID: under 100 characters). */
const MAX_POLLING_URL_CHARS = 2048;

/**
 * Why a submit reply's `polling_url` cannot be the request id, or `undefined`. It is journaled and
 * written into the lock, which holds no control, bidi or invisible character: one kept would fail
 * every later lock write of the recipe (exit 70) after the output was paid for and downloaded.
 */
function pollingUrlProblem(url: unknown, secrets: readonly string[]): string | undefined {
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return 'the reply has no polling_url';
  const problem = requestIdProblem(url, { secrets, maxChars: MAX_POLLING_URL_CHARS });
  return problem === undefined ? undefined : `the reply's polling_url cannot be used (${problem})`;
}

/**
 * The task id inside a polling URL, for messages (the URL's query is scrubbed from them): its `id`
 * alone, never the rest of the query, and only an id fit to print (decoded, it could read as the
 * key, a control or a bidi character); else the polling URL itself, whose query messages drop.
 */
export function taskIdOf(pollingUrl: string, secrets: readonly string[]): string {
  let id: string | null = null;
  try {
    id = new URL(pollingUrl).searchParams.get('id');
  } catch {
    return pollingUrl;
  }
  return id !== null && requestIdProblem(id, { secrets }) === undefined ? id : pollingUrl;
}

export type BflRead = { readonly phase: 'running' } | { readonly phase: 'done'; readonly result: JsonObject };

/** One read of the polling URL; failures, moderation and unknown tasks are thrown as typed errors. */
export async function readBfl(
  api: JsonApi,
  rule: ApiHostRule,
  pollingUrl: string,
  signal?: AbortSignal,
  onRetry?: RetryListener,
): Promise<BflRead> {
  assertApiUrl(pollingUrl, rule, 'polling_url');
  const task = taskIdOf(pollingUrl, api.secrets);
  const { body } = await callJson(api, {
    call: 'status',
    method: 'GET',
    url: pollingUrl,
    requestId: task,
    signal,
    onRetry,
    // BFL's word for an unknown or expired task, as JSON (HTTP 200, or a 404 carrying it).
    gone: (status, reply) => (status === 200 || status === 404) && readBflStatus(reply).phase === 'not-found',
  });
  const status = readBflStatus(body);
  const common = { requestId: task, secrets: api.secrets };
  switch (status.phase) {
    case 'running':
      return { phase: 'running' };
    case 'done':
      return { phase: 'done', result: body };
    case 'moderated':
      throw new ModeratedError(`BFL task ${task}: ${status.word}${reasons(body, api.secrets)}`, {
        ...common,
        remoteError: body['details'] ?? null,
      });
    case 'failed':
      throw new RemoteFailedError(
        `BFL task ${task} failed: ${detailText(body['details'], '', api.secrets) ?? status.word}`,
        {
          ...common,
          remoteError: body['details'] ?? null,
          hint: 'the model failed on this input; change the prompt or the image, or run again',
        },
      );
    case 'not-found':
      // Said in a reply not labelled JSON (callJson's `gone` takes the JSON ones): proves nothing.
      throw new InputRejectedError(`BFL task ${task}: "Task not found" in a reply that is not labelled JSON`, {
        ...common,
        status: 404,
      });
    default: {
      const never: never = status.phase;
      throw new Error(`unhandled BFL phase ${String(never)}`);
    }
  }
}

function reasons(body: JsonObject, secrets: readonly string[]): string {
  const details = body['details'];
  const list =
    details !== null && typeof details === 'object' ? (details as Record<string, unknown>)['Moderation Reasons'] : null;
  return Array.isArray(list) && list.length > 0 ? ` (${clipRedacted(list.map(String).join('; '), 200, secrets)})` : '';
}
