/**
 * A submit's time between attempts (a refusal's wait, a `Retry-After` of minutes), for execute.ts:
 * what ends it with nothing sent, and when the attempt that was accepted went out.
 */
import { InterruptedError } from '../errors.js';
import type { RetryListener } from '../providers/types.js';
import { NotSubmittedAgain } from './node-slot.js';

/** What stops a submit between attempts (`Provider.submit`'s `stop`). */
export interface SubmitStops {
  /** Ctrl-C: no grace here, nothing is on the wire. */
  readonly signal: AbortSignal;
  /** Watch mode abandoning the node (else, the wait over, a superseded cycle paid for it). */
  readonly abandoned?: AbortSignal | undefined;
  /** A failure stopping the run (run-tally.ts; else the run's end waited for it, then paid for it). */
  readonly stopSubmits?: AbortSignal | undefined;
}

export function stopBetweenAttempts(s: SubmitStops): AbortSignal {
  const stops = [s.signal, s.abandoned, s.stopSubmits].filter((x) => x !== undefined);
  return stops.length === 1 ? s.signal : AbortSignal.any(stops);
}

/**
 * When the accepted attempt was sent: the poll schedule and the completion times it learns (saved
 * for the next run) count from it, not from before a refusal's wait. `onRetry` wraps the node's.
 */
export function submitClock(
  now: () => number,
  onRetry: RetryListener,
): { readonly onRetry: RetryListener; readonly sentAt: () => number } {
  let sentAt = now();
  return {
    onRetry: (info) => {
      sentAt = now() + info.delayMs;
      onRetry(info);
    },
    sentAt: () => sentAt,
  };
}

/**
 * A submit stopped between attempts because a failure stopped its run: nothing sent. Told as a
 * run that takes no new work, so a later watch cycle's node that joined the request submits it
 * itself (remote-stage.ts); `null` for any other error or stop.
 */
export function stoppedByFailure(e: unknown, s: SubmitStops, rehosted: boolean): NotSubmittedAgain | null {
  const byFailure = e instanceof InterruptedError && s.stopSubmits?.aborted === true;
  if (!byFailure || s.signal.aborted || s.abandoned?.aborted === true) return null;
  return new NotSubmittedAgain('stopped', rehosted);
}
