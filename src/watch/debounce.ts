/** Trailing-edge debounce that gathers what triggered it (editors save several times at once). */
export interface Debouncer<T> {
  push(item: T): void;
  cancel(): void;
}

/**
 * `fire` once `ms` passed with nothing pushed. A timer that comes more than `ms` late (the process
 * was stopped or asleep: a laptop lid closed mid-save) waits `ms` once more before firing: what
 * happened meanwhile (another save) is told after the timers on waking, and joins this batch
 * instead of starting a second cycle right after the first (walk-ac 6).
 */
export function debounce<T>(ms: number, fire: (items: T[]) => void): Debouncer<T> {
  let timer: NodeJS.Timeout | null = null;
  let items: T[] = [];
  const arm = (again: boolean): void => {
    const due = performance.now() + ms;
    timer = setTimeout(() => {
      if (!again && performance.now() - due > ms) return arm(true);
      timer = null;
      const batch = items;
      items = [];
      fire(batch);
    }, ms);
  };
  return {
    push(item) {
      if (!items.includes(item)) items.push(item);
      if (timer) clearTimeout(timer);
      arm(false);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      items = [];
    },
  };
}
