/**
 * Reading a Replicate prediction: its status words (`starting`, `processing`, `succeeded`,
 * `failed`, `canceled`, `aborted` — compared loosely, an unknown one keeps the wait going), its
 * output URL, its timing, and whether a failure was the safety filter (E005, "flagged as
 * sensitive").
 */
import { collectUrls } from '../../models/read-result.js';
import type { ModelEntry } from '../../models/types.js';
import { isoDuration } from '../polling/poll-loop.js';
import { clipRedacted } from '../../util/redact.js';

export type PredictionPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'unknown';

type Obj = Readonly<Record<string, unknown>>;

const PHASES: Readonly<Record<string, PredictionPhase>> = {
  starting: 'queued',
  queued: 'queued',
  processing: 'running',
  running: 'running',
  succeeded: 'succeeded',
  successful: 'succeeded',
  failed: 'failed',
  canceled: 'canceled',
  cancelled: 'canceled',
  aborted: 'canceled',
};

export function phaseOf(prediction: Obj): PredictionPhase {
  const word = prediction['status'];
  if (typeof word !== 'string') return 'unknown';
  return Object.hasOwn(PHASES, word.trim().toLowerCase())
    ? (PHASES[word.trim().toLowerCase()] ?? 'unknown')
    : 'unknown';
}

export function isTerminal(phase: PredictionPhase): boolean {
  return phase === 'succeeded' || phase === 'failed' || phase === 'canceled';
}

/** Output URLs: through the model table's reader when the model is known, else every URL in `output`. */
export function outputUrlsOf(prediction: Obj, entry: ModelEntry | undefined): string[] {
  return entry ? [...entry.readResult(prediction).outputUrls] : collectUrls(prediction['output']);
}

/**
 * The prediction's error as text (a string on Replicate; anything else is stringified), at most
 * 300 characters, `secrets` replaced before the cut (see clipRedacted).
 */
export function errorTextOf(prediction: Obj, secrets: readonly string[]): string {
  const e = prediction['error'];
  if (typeof e === 'string' && e.trim() !== '') return clipRedacted(e.trim(), 300, secrets);
  return e === null || e === undefined ? 'no reason given' : clipRedacted(JSON.stringify(e), 300, secrets);
}

/** The safety filter's verdict (Replicate's E005), not a model or infrastructure failure. */
export function isModeration(text: string): boolean {
  return /\bE005\b|flagged as sensitive|\bnsfw\b|safety (filter|checker)/i.test(text);
}

/** created → completed as Replicate measured it, ms; `null` when it does not say. */
export function durationOf(prediction: Obj): number | null {
  return isoDuration(prediction['created_at'], prediction['completed_at']);
}
