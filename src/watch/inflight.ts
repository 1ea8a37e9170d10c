/**
 * Requests in flight, by cache key, shared across runs of one process (watch cycles).
 * A later cycle that wants the same key awaits the running request instead of paying again;
 * a cycle that no longer wants it can abandon it: cancelled if still queued, otherwise left
 * to finish into the cache (it was paid for) without feeding the new plan.
 */
import type { Executed } from '../run/execute.js';
import type { InflightRequests } from '../run/options.js';

export interface InflightEntry {
  readonly promise: Promise<Executed>;
  /** Cancel the remote request if it is still queued; a running one finishes into the cache. */
  abandon(): void;
}

export class InflightRegistry implements InflightRequests {
  readonly #entries = new Map<string, InflightEntry>();

  get(key: string): InflightEntry | undefined {
    return this.#entries.get(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** Track `promise` under `key` until it settles. */
  track(key: string, promise: Promise<Executed>, abandon: () => void): void {
    this.#entries.set(key, { promise, abandon });
    const drop = (): void => {
      if (this.#entries.get(key)?.promise === promise) this.#entries.delete(key);
    };
    promise.then(drop, drop);
  }

  /**
   * Abandon every in-flight request whose key is not in `wanted`. Returns the abandoned keys.
   * They are forgotten at once: a later cycle that wants the key again must not await a
   * request that is being cancelled; it goes through the journal instead (re-attaching to a
   * request that is still running, resubmitting one that was cancelled).
   */
  abandonExcept(wanted: ReadonlySet<string>): string[] {
    const dropped: string[] = [];
    for (const [key, entry] of this.#entries) {
      if (wanted.has(key)) continue;
      this.#entries.delete(key);
      entry.abandon();
      dropped.push(key);
    }
    return dropped;
  }

  get size(): number {
    return this.#entries.size;
  }
}
