/**
 * The caller's `AbortSignal` as a run sees it. The CLI aborts with an `InterruptedError`; an
 * embedder's `controller.abort()` has a `DOMException` as its reason (or `AbortSignal.timeout`'s
 * `TimeoutError`, or any value), and the layers that throw the signal's reason (the run lock's
 * wait, a sleep, a mutex) threw that untyped value out of `runRecipe`. Here any reason that is not
 * a `KontextError` becomes an `InterruptedError` (exit 130, as Ctrl-C), its cause the reason.
 */
import { InterruptedError, KontextError } from '../errors.js';

/** Run `body` with a signal that aborts when `signal` does, with a typed reason; the listener is removed after. */
export async function withInterruptSignal<T>(
  signal: AbortSignal | undefined,
  body: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (signal === undefined) return body(undefined);
  const own = new AbortController();
  const forward = (): void => own.abort(interruptedBy(signal.reason));
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  try {
    return await body(own.signal);
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

function interruptedBy(reason: unknown): KontextError {
  if (reason instanceof KontextError) return reason;
  const why = reason instanceof Error && reason.message !== '' ? `: ${reason.message}` : '';
  return new InterruptedError(`interrupted: the run's AbortSignal was aborted${why}`, { cause: reason });
}
