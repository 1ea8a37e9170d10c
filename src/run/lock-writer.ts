/**
 * Writes lock entries as nodes finish, coalescing bursts: while one update is on disk the
 * next entries gather and go in the following update. `flush` resolves when everything set
 * so far is written. Another process's entries are merged, never lost (updateLock re-reads).
 */
import { updateLock } from '../store/index.js';
import type { LockEntry } from '../store/types.js';

export interface LockWriterOptions {
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
}

export class LockWriter {
  readonly #path: string;
  readonly #options: LockWriterOptions;
  #pending = new Map<string, LockEntry>();
  #running: Promise<void> | null = null;
  #error: unknown = null;

  constructor(path: string, options: LockWriterOptions) {
    this.#path = path;
    this.#options = options;
  }

  set(nodeId: string, entry: LockEntry): void {
    this.#pending.set(nodeId, entry);
    this.#kick();
  }

  /** Wait until every entry set so far is on disk; rethrows a write failure. */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#error) throw this.#error;
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (this.#pending.size > 0 && !this.#error) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await updateLock(
        this.#path,
        (nodes) => {
          for (const [id, entry] of batch) nodes[id] = entry;
        },
        this.#options,
      );
    } catch (e) {
      this.#error ??= e;
    }
  }
}
