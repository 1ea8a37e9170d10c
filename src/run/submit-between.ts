/**
 * A submit's time between attempts (a refusal's wait, a `Retry-After` of minutes), for execute.ts:
 * what ends it with nothing sent, and when the attempt that was accepted went out.
 */
import { ExitCode, InterruptedError, KontextError } from '../errors.js';
import type { RetryListener } from '../providers/types.js';
import type { Journal, JournalEntry } from '../store/types.js';
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

/**
 * While a refused submit waits to be sent again (a 429's `Retry-After` may be minutes), its intent
 * says so (`refused_at`): nothing of it is on the wire, so a run killed meanwhile leaves no "maybe
 * paid" (submit-claim.ts's `claimVerdict` takes such an intent over). Right before the next attempt
 * it is written back as a plain intent, durably; if that fails, nothing more is sent. `settled`:
 * the journal writes begun are over (before the intent is removed: none may land after).
 */
export function refusedMeanwhile(
  intent: JournalEntry,
  journal: Pick<Journal, 'add'>,
  now: () => number,
  crashPoint?: (point: string) => void,
): { readonly onRetry: RetryListener; readonly settled: () => Promise<void> } {
  let writes: Promise<void> = Promise.resolve();
  return {
    onRetry: (notice) => {
      if (!notice.beforeNext) return;
      const marked = journal.add({ ...intent, refused_at: new Date(now()).toISOString() }).then(
        () => crashPoint?.('submit-refused-marked'),
        () => undefined,
      );
      writes = writes.then(() => marked); // a mark not written leaves the plain intent, which is as safe
      notice.beforeNext(async () => {
        await marked;
        const armed = journal.add(intent);
        writes = writes.then(() => armed.catch(() => undefined));
        await armed.catch((e: unknown) => {
          throw new IntentNotArmed(intent.node, e);
        });
      });
    },
    settled: () => writes,
  };
}

/** A refused submit's intent could not be written back before its next attempt: not sent again. */
class IntentNotArmed extends KontextError {
  override readonly name = 'IntentNotArmed';
  /** The attempts before were refused and this one was not sent (submit-claim.ts's `provesNotAccepted`). */
  readonly notAccepted = true;
  constructor(node: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('E_INTENT_WRITE', `${node}: not sent again after a refusal: its intent could not be journaled (${why})`, {
      exitCode: cause instanceof KontextError ? cause.exitCode : ExitCode.CANT_CREAT,
      cause,
    });
  }
}
