/**
 * Replicate's three prediction calls: create (on the official model route, holding the reply
 * with `Prefer: wait=N`), get and cancel (a prediction not started yet). Reads and cancels are
 * built from the base URL and the id, never from the reply's `urls`: a reply must not be able to
 * send our token elsewhere.
 */
import type { RetryListener } from '../types.js';
import { SubmitUncertainError } from '../runcomfy/errors.js';
import { idProblem, requestIdProblem } from '../request-id.js';
import { callReplicate, type JsonObject, type ReplicateApi, UNCERTAIN_HINT } from './api-call.js';
import { phaseOf } from './prediction.js';

const predictionPath = (id: string): string => `/v1/predictions/${encodeURIComponent(id)}`;

/** `owner/name` → `/v1/models/owner/name/predictions`, each segment escaped. */
function createPath(endpoint: string): string {
  const segs = endpoint.split('/').filter((s) => s !== '');
  return `/v1/models/${segs.map(encodeURIComponent).join('/')}/predictions`;
}

export async function createPrediction(
  api: ReplicateApi,
  endpoint: string,
  input: Readonly<Record<string, unknown>>,
  holdS: number,
  signal?: AbortSignal,
  onRetry?: RetryListener,
  stop?: AbortSignal,
): Promise<{ readonly id: string; readonly prediction: JsonObject }> {
  const prediction = await callReplicate(api, {
    call: 'submit',
    method: 'POST',
    path: createPath(endpoint),
    body: { input },
    submit: true,
    headers: holdS > 0 ? { prefer: `wait=${holdS}` } : undefined,
    signal,
    stop,
    onRetry,
  });
  const id = prediction['id'];
  const problem = typeof id === 'string' ? requestIdProblem(id, { secrets: [api.token] }) : idProblem(id);
  if (typeof id === 'string' && problem === undefined) return { id, prediction };
  throw new SubmitUncertainError(
    `submit: the reply's prediction id cannot be used (${problem}); a prediction may have been created`,
    { secrets: [api.token], hint: UNCERTAIN_HINT },
  );
}

export function getPrediction(
  api: ReplicateApi,
  id: string,
  signal?: AbortSignal,
  onRetry?: RetryListener,
): Promise<JsonObject> {
  return callReplicate(api, {
    call: 'status',
    method: 'GET',
    path: predictionPath(id),
    requestId: id,
    signal,
    onRetry,
  });
}

/**
 * Cancel a prediction that has not started; the prediction the cancel answers says whether it
 * took. Replicate cancels running predictions too, and bills the time they ran: a running one is
 * paid for, and cancelling it would throw its result away for the next run to pay again. So the
 * prediction is read first, and only one still `starting` is cancelled; any other is left to
 * finish (`not_cancellable`: the journal keeps it, the next run takes its result). The run does
 * not know the phase itself: with learned poll times it reads nothing in a job's first seconds.
 * `running: true` (a deadline passed: a job stuck for half an hour) cancels a running one too.
 */
export async function cancelPrediction(
  api: ReplicateApi,
  id: string,
  signal?: AbortSignal,
  options: { readonly running?: boolean } = {},
): Promise<'cancelled' | 'not_cancellable'> {
  if (options.running !== true && phaseOf(await getPrediction(api, id, signal)) !== 'queued') return 'not_cancellable';
  const reply = await callReplicate(api, {
    call: 'cancel',
    method: 'POST',
    path: `${predictionPath(id)}/cancel`,
    requestId: id,
    signal,
  });
  const word = String(reply['status'] ?? '').toLowerCase();
  return word === 'canceled' || word === 'cancelled' || word === 'aborted' ? 'cancelled' : 'not_cancellable';
}
