/**
 * Watch cycles host local sources ahead of their `-j` slots, as plain runs do (run/prefetch.ts,
 * one prefetch per cycle). A cycle's uploads stop when a newer cycle supersedes it, when its
 * run ends, and when watching ends. On a supersede, uploads of images the new plan still needs
 * go on: a node (of either cycle) may already be waiting on one, and aborting it would fail
 * that node; the new cycle's prefetch joins them instead of uploading again.
 */
import type { Hosting } from '../hosting/index.js';
import { aheadImages, type Prefetch } from '../run/prefetch.js';
import type { Prepared } from '../run/prepare.js';
import { deferred } from '../util/deferred.js';

interface Live {
  readonly prefetch: Prefetch;
  readonly hosting: Hosting | null;
  /** Resolves `settled` with the end of the uploads (at the first stop). */
  readonly settle: (over: Promise<void>) => void;
  /** Set at the first stop: after it nothing new starts, so its end is the end of every upload. */
  over: Promise<void> | null;
}

export class WatchPrefetches {
  readonly #live = new Set<Live>();

  /** Track a cycle's uploads. `settled` resolves once they are over: hold the hosting until then. */
  start(prefetch: Prefetch, hosting: Hosting | null): { readonly prefetch: Prefetch; readonly settled: Promise<void> } {
    const settled = deferred<void>();
    const settle = (over: Promise<void>): void => void over.then(settled.resolve, settled.resolve);
    this.#live.add({ prefetch, hosting, settle, over: null });
    return { prefetch, settled: settled.promise };
  }

  /** A newer cycle is being planned: nothing new starts; uploads under way go on for now. */
  pause(): void {
    for (const live of this.#live) this.#stop(live, () => true);
  }

  /** The new plan is known: abort the uploads it does not need (all of them if its hosting differs). */
  handOver(prepared: Prepared, hosting: Hosting | null): void {
    const wanted = new Set(aheadImages(prepared).map((i) => i.sha256));
    for (const live of this.#live) this.#stop(live, (sha) => live.hosting === hosting && wanted.has(sha));
  }

  /** The latest cycle's run ended: no node waits on an upload any more. */
  finish(): void {
    for (const live of this.#live) this.#stop(live, () => false);
  }

  /** Watching ends: abort every upload and wait for them to settle. */
  async close(): Promise<void> {
    const all = [...this.#live];
    for (const live of all) this.#stop(live, () => false);
    await Promise.all(all.map((live) => live.over));
  }

  #stop(live: Live, keep: (sha256: string) => boolean): void {
    const over = live.prefetch.stop(keep);
    if (live.over) return;
    live.over = over;
    live.settle(over);
    void over.then(() => this.#live.delete(live));
  }
}
