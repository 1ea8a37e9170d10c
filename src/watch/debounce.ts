/** Trailing-edge debounce that gathers what triggered it (editors save several times at once). */
export interface Debouncer<T> {
  push(item: T): void;
  cancel(): void;
}

export function debounce<T>(ms: number, fire: (items: T[]) => void): Debouncer<T> {
  let timer: NodeJS.Timeout | null = null;
  let items: T[] = [];
  return {
    push(item) {
      if (!items.includes(item)) items.push(item);
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        const batch = items;
        items = [];
        fire(batch);
      }, ms);
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
      items = [];
    },
  };
}
