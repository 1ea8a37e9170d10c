/**
 * A signal that aborts some time after another does: what is already under way when a run is
 * interrupted (a submit on the wire, uploads of paid results) may still finish for that long.
 */

/** A signal that aborts `ms` after `signal` does, telling `onExpire` first (never if disposed first). */
export function graceSignal(
  signal: AbortSignal,
  ms: number,
  onExpire: () => void,
): { readonly signal: AbortSignal; readonly dispose: () => void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    timer = setTimeout(() => {
      onExpire();
      controller.abort(signal.reason);
    }, ms);
    timer.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    },
  };
}
