/**
 * Tolerant reading of status and result replies. The wire words are not fully pinned down
 * (docs/architecture.md#the-runcomfy-api), so compare case-insensitively, accept known synonyms, and let an unknown
 * word mean "keep polling" rather than fail a paid request.
 */

import { ownValue } from '../../util/own.js';

export type StatusPhase = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'unknown';

const WORDS: Readonly<Record<string, StatusPhase>> = {
  completed: 'done',
  complete: 'done',
  succeeded: 'done',
  success: 'done',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  failed: 'failed',
  error: 'failed',
  in_queue: 'queued',
  queued: 'queued',
  pending: 'queued',
  in_progress: 'running',
  running: 'running',
  processing: 'running',
};

/** Map a status word to a phase; anything unrecognised (or not a string) is `unknown`. */
export function normalizeStatus(word: unknown): StatusPhase {
  if (typeof word !== 'string') return 'unknown';
  const key = word
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return ownValue(WORDS, key) ?? 'unknown';
}

export interface StatusReading {
  readonly phase: StatusPhase;
  /** The word as sent, for messages about unknown states. */
  readonly word: string | undefined;
  readonly position: number | undefined;
}

/** Read a status (or result) reply: phase and, when queued, the queue position. */
export function readStatus(body: Readonly<Record<string, unknown>>): StatusReading {
  const word = typeof body['status'] === 'string' ? body['status'] : undefined;
  const pos = body['queue_position'];
  const position = typeof pos === 'number' && Number.isFinite(pos) && pos >= 0 ? pos : undefined;
  return { phase: normalizeStatus(word), word, position };
}

/**
 * Every http(s) URL string found anywhere inside `output`, in document order, without
 * duplicates (a Set: with an array's `includes`, a hostile 1 MB result of 40,000 URLs cost 35 s
 * of CPU, quadratic in the count).
 */
export function collectOutputUrls(output: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 16) return;
    if (typeof v === 'string') {
      const s = v.trim();
      if (/^https?:\/\//i.test(s)) found.add(s);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
    } else if (v !== null && typeof v === 'object') {
      for (const item of Object.values(v)) walk(item, depth + 1);
    }
  };
  walk(output, 0);
  return [...found];
}
