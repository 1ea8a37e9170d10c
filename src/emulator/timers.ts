/**
 * Timers the emulator owns, so `close()` can cancel every pending one at once: tests start
 * many emulators, and a stray timer would keep a test worker alive or fire after close.
 */

export interface TimerSet {
  /** `setTimeout` that is forgotten once it fires and cancelled by {@link TimerSet.clearAll}. */
  after(ms: number, fn: () => void): NodeJS.Timeout;
  /** Resolve after `ms`; rejects never — on close the promise simply resolves early. */
  sleep(ms: number): Promise<void>;
  cancel(timer: NodeJS.Timeout | undefined): void;
  clearAll(): void;
}

export function createTimerSet(): TimerSet {
  const pending = new Map<NodeJS.Timeout, () => void>();
  const after = (ms: number, fn: () => void, onClear: () => void = () => {}): NodeJS.Timeout => {
    const t = setTimeout(() => {
      pending.delete(t);
      fn();
    }, ms);
    pending.set(t, onClear);
    return t;
  };
  return {
    after: (ms, fn) => after(ms, fn),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        after(ms, resolve, resolve);
      }),
    cancel(timer) {
      if (timer === undefined) return;
      clearTimeout(timer);
      pending.delete(timer);
    },
    clearAll() {
      for (const [t, onClear] of pending) {
        clearTimeout(t);
        onClear();
      }
      pending.clear();
    },
  };
}
