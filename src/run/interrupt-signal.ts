/**
 * The caller's `AbortSignal` as a run sees it. The CLI aborts with an `InterruptedError`; an
 * embedder's `controller.abort()` has a `DOMException` as its reason (or `AbortSignal.timeout`'s
 * `TimeoutError`, or any value), and the layers that throw the signal's reason (the run lock's
 * wait, a sleep, a mutex) threw that untyped value out of `runRecipe`. Here any reason that is not
 * a `KontextError` becomes an `InterruptedError` (exit 130, as Ctrl-C), its cause the reason.
 *
 * One derived signal per caller's signal, made on first use: a server passing its one shutdown
 * signal to every run adds one listener to it, not one per run (eleven runs at once made Node
 * print a MaxListenersExceededWarning on the caller's stderr).
 */
import { setMaxListeners } from 'node:events';
import { InterruptedError, KontextError } from '../errors.js';

const derived = new WeakMap<AbortSignal, AbortSignal>();

/** A signal that aborts when `signal` does, with a typed reason. */
export function interruptSignal(signal: AbortSignal | undefined): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  const known = derived.get(signal);
  if (known !== undefined) return known;
  const own = new AbortController();
  setMaxListeners(0, own.signal); // every run sharing the caller's signal listens to this one
  const forward = (): void => own.abort(interruptedBy(signal.reason));
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  derived.set(signal, own.signal);
  return own.signal;
}

function interruptedBy(reason: unknown): KontextError {
  if (reason instanceof KontextError) return reason;
  const why = reason instanceof Error && reason.message !== '' ? `: ${reason.message}` : '';
  return new InterruptedError(`interrupted: the run's AbortSignal was aborted${why}`, { cause: reason });
}
