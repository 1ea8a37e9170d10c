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
