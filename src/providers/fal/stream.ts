/**
 * fal.ai's status stream (`…/requests/{id}/status/stream`, server-sent events): one request that
 * tells the moment a request is COMPLETED, with no poll delay. Best effort: whatever goes wrong
 * (a refused or broken stream, a body that is not SSE, the deadline, `silenceMs` without a status
 * event: a stream kept open by keep-alive comments alone would otherwise be waited on to the
 * deadline while the request sat COMPLETED) just means "fall back to polling", which then meets
 * any real error (a rejected key, a storm of 5xx) on its own terms.
 */
import { requestNow } from '../../util/http-request.js';
import type { RemoteState } from '../types.js';
import { abortReason } from '../runcomfy/retry-loop.js';
import { assertApiUrl } from '../wire/hosts.js';
import type { ReadSpec } from './endpoints.js';

/** A status stream longer than this is not fal's. */
const MAX_STREAM_BYTES = 1024 * 1024;

/** How long a stream may go without a status event before polling takes over (default). */
const DEFAULT_STREAM_SILENCE_MS = 60_000;

/** Follow the stream until COMPLETED (`true`), or until it ends or breaks first (`false`). */
export async function followStatusStream(
  spec: ReadSpec,
  statusUrl: string,
  onState: ((state: RemoteState) => void) | undefined,
  deadline: AbortSignal,
  silenceMs = DEFAULT_STREAM_SILENCE_MS,
): Promise<boolean> {
  const url = `${statusUrl.replace(/\/+$/, '')}/stream`;
  assertApiUrl(url, spec.rule, 'status_url');
  const silence = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const heard = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => silence.abort(), silenceMs);
    timer.unref();
  };
  const signal = AbortSignal.any([...(spec.signal ? [spec.signal] : []), deadline, silence.signal]);
  heard();
  try {
    const res = await requestNow(
      url,
      { dispatcher: spec.api.dispatcher, method: 'GET', headers: { ...spec.api.auth, accept: 'text/event-stream' } },
      { signal },
    );
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      return false;
    }
    let buffered = '';
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_STREAM_BYTES) break;
      buffered += chunk.toString('utf8');
      const events = buffered.split(/\r?\n\r?\n/);
      buffered = events.pop() ?? '';
      for (const event of events) {
        const word = statusOf(event, onState);
        if (word !== undefined) heard();
        if (word === 'COMPLETED') {
          res.body.destroy();
          return true;
        }
      }
    }
    res.body.destroy();
    return false;
  } catch {
    if (spec.signal?.aborted) throw abortReason(spec.signal);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The status word of one SSE event (its `data:` lines as JSON), reporting queue/run progress. */
function statusOf(event: string, onState: ((state: RemoteState) => void) | undefined): string | undefined {
  const data = event
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .join('\n');
  if (data === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const word = String(b['status'] ?? '').toUpperCase();
  const p = b['queue_position'];
  if (word === 'IN_QUEUE') onState?.({ phase: 'queued', position: typeof p === 'number' && p >= 0 ? p : undefined });
  else if (word === 'IN_PROGRESS') onState?.({ phase: 'running' });
  return word;
}
