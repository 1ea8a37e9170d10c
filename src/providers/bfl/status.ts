/**
 * BFL's `get_result` status words, read tolerantly (pure). The documented set is `Pending`,
 * `Ready`, `Error`, `Request Moderated`, `Content Moderated`, `Task not found`; `Failed` and a
 * `state` key instead of `status` are tolerated (seen in other clients), and any other word
 * (FLUX.2's `Reasoning`, `Generating`) means "still working": the wait goes on until its
 * deadline rather than fail a paid request.
 */
import { ownValue } from '../../util/own.js';

type BflPhase = 'running' | 'done' | 'failed' | 'moderated' | 'not-found';

const WORDS: Readonly<Record<string, BflPhase>> = {
  pending: 'running',
  ready: 'done',
  error: 'failed',
  failed: 'failed',
  request_moderated: 'moderated',
  content_moderated: 'moderated',
  task_not_found: 'not-found',
};

export interface BflStatus {
  readonly phase: BflPhase;
  /** The word as sent (for messages). */
  readonly word: string;
}

export function readBflStatus(body: Readonly<Record<string, unknown>>): BflStatus {
  const raw = body['status'] ?? body['state'];
  const word = typeof raw === 'string' ? raw : '';
  const key = word
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return { phase: ownValue(WORDS, key) ?? 'running', word };
}

/**
 * How long the task took by BFL's own clock: `result.end_time - result.start_time` (Unix seconds,
 * fractional), `null` when either is missing or the two make no sense. Learned as the request's
 * duration (polling/completion-times.ts), as RunComfy's and Replicate's own timestamps are: the
 * middle of the last two reads, its fallback, came out ~1.4 s late on every 10 s job, and the
 * schedule, reading only from there, never learned better (walk-ab 2). Whether BFL's `start_time`
 * counts its queue is not documented: if not, reads come a little early (a read more), never late.
 */
export function bflTookMs(result: unknown): number | null {
  if (typeof result !== 'object' || result === null) return null;
  const start = (result as Record<string, unknown>)['start_time'];
  const end = (result as Record<string, unknown>)['end_time'];
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isFinite(start) || !Number.isFinite(end))
    return null;
  const ms = (end - start) * 1000;
  return ms >= 0 && ms < 24 * 3600 * 1000 ? ms : null;
}
