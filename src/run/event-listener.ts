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

/** A call's message callbacks (`recipeStatus`, `writeReport`, `cleanRecipe`): observers, as `onEvent` is. */
export interface MessageCallbacks {
  readonly onWarning?: ((message: string) => void) | undefined;
  readonly onNotice?: ((message: string) => void) | undefined;
}

export interface GuardedMessages {
  readonly onWarning: (message: string) => void;
  readonly onNotice: (message: string) => void;
  /** `value` (the call's result, its work done), or the callbacks' first exception as one `E_EVENT_LISTENER`. */
  unlessFailed<T>(value: T, hint: string): T;
}

/**
 * `onWarning`/`onNotice` guarded as {@link guardListener} guards `onEvent`: a throw (or a rejected
 * promise) changes nothing of the work (a status still computed, a report still written); once it is
 * done, the first one is thrown as `E_EVENT_LISTENER` (exit 70), the callback's error as its cause.
 */
export function guardMessages(callbacks: MessageCallbacks): GuardedMessages {
  let failure: { readonly error: unknown; readonly name: string } | null = null;
  const guard =
    (name: string, callback: ((message: string) => void) | undefined) =>
    (message: string): void => {
      if (callback === undefined) return;
      const failed = (error: unknown): void => {
        failure ??= { error, name };
      };
      try {
        const returned: unknown = callback(message);
        if (isThenable(returned)) returned.then(undefined, failed);
      } catch (error) {
        failed(error);
      }
    };
  return {
    onWarning: guard('onWarning', callbacks.onWarning),
    onNotice: guard('onNotice', callbacks.onNotice),
    unlessFailed(value, hint) {
      if (failure === null) return value;
      const { error, name } = failure;
      const why = error instanceof Error ? error.message : String(error);
      throw new KontextError('E_EVENT_LISTENER', `the ${name} callback threw: ${why}`, {
        exitCode: ExitCode.SOFTWARE,
        cause: error,
        hint,
      });
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
