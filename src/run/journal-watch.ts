/**
 * While a run has requests at the API, their journal entries are what lets a crashed run
 * re-attach instead of paying again. A cache dir deleted under the run (`rm -rf`, another tool's
 * clean-up) takes them along: this checks once a second and writes them again (store/journal.ts
 * `restore`), with one warning. The run itself goes on: every other cache write makes its folder
 * again, and out/ and the lock are outside the cache.
 */
import type { Store } from '../store/types.js';
import type { UntimedRunEvent } from './events.js';

const CHECK_EVERY_MS = 1000;

/** Start watching; the returned function stops it (and waits for a check under way). */
export function watchJournal(store: Store, emit: (e: UntimedRunEvent) => void): () => Promise<void> {
  let warned = false;
  let checking: Promise<void> = Promise.resolve();
  const check = async (): Promise<void> => {
    const n = await store.journal.restore().catch(() => 0);
    if (n === 0 || warned) return;
    warned = true;
    emit({
      type: 'warning',
      message:
        `the cache dir ${store.root} was deleted during the run: ${String(n)} request(s) at the API ` +
        'journaled again, so a crash now still re-attaches to them instead of paying again',
    });
  };
  const timer = setInterval(() => {
    checking = checking.then(check);
  }, CHECK_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await checking;
  };
}
