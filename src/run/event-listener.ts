/**
 * The caller's `onEvent` is an observer: an exception it throws must not change the run. Thrown
 * into the scheduler it failed the node it was told about (exit 70) after its request was paid,
 * left that request's outcome unknown and skipped the nodes below. Here the first exception is
 * kept, later events are still delivered, and once the run is over (its results written, the lock
 * flushed) it is thrown as one `E_EVENT_LISTENER` (exit 70) whose cause is the listener's error.
 * A listener's promise is not waited for; one that rejects before the run is over counts as a
 * throw, a later rejection is dropped (the run it observed is over).
 */
import type { RunEvent } from './events.js';
import { ExitCode, KontextError } from '../errors.js';

export interface GuardedListener {
  readonly onEvent: (event: RunEvent) => void;
  /** Throw the listener's first exception, if it threw. */
  throwIfFailed(): void;
  /**
   * The listener's first exception as the one error {@link throwIfFailed} throws (`hint`: what
   * went on regardless, a run's results by default); null while it has not thrown.
   */
  error(hint?: string): KontextError | null;
  /** `value` (a run's result, once the run is over), or the listener's first exception thrown instead. */
  readonly unlessFailed: <T>(value: T) => T;
}

export function guardListener(onEvent: (event: RunEvent) => void): GuardedListener {
  let failure: { readonly error: unknown; readonly type: RunEvent['type'] } | null = null;
  const guarded: GuardedListener = {
    onEvent(event) {
      const failed = (error: unknown): void => {
        failure ??= { error, type: event.type };
      };
      try {
        // An async listener (its type says void; TypeScript takes one) rejects instead of throwing:
        // unhandled, that rejection ended the embedder's process mid-run, its locks left behind.
        const returned: unknown = onEvent(event);
        if (isThenable(returned)) returned.then(undefined, failed);
      } catch (error) {
        failed(error);
      }
    },
    throwIfFailed() {
      const error = guarded.error();
      if (error !== null) throw error;
    },
    error(hint = 'the run itself went on to its end: its results are in the cache, the lock and the outputs') {
      if (failure === null) return null;
      const { error, type } = failure;
      const why = error instanceof Error ? error.message : String(error);
      return new KontextError('E_EVENT_LISTENER', `the onEvent listener threw on a ${type} event: ${why}`, {
        exitCode: ExitCode.SOFTWARE,
        cause: error,
        hint,
      });
    },
    unlessFailed(value) {
      guarded.throwIfFailed();
      return value;
    },
  };
  return guarded;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
