/**
 * Writes lock entries as nodes finish, coalescing bursts: while one update is on disk the
 * next entries gather and go in the following update. `flush` resolves when everything set
 * so far is written. Another process's entries are merged, never lost (updateLock re-reads
 * whenever the file is not the one this writer last wrote, see LockCache).
 */
import { dirname, relative, sep } from 'node:path';
import { LockCache, updateLock } from '../store/index.js';
import type { LockEntry, RunRecord } from '../store/types.js';

/** A node's lock entry for this record, its output path relative to the lock file. */
export function lockEntryFor(rec: RunRecord, output: string, lockPath: string): LockEntry {
  return {
    seed: rec.seed,
    key: rec.key,
    input_sha256: rec.input_sha256,
    output_sha256: rec.output_sha256,
    output: relative(dirname(lockPath), output).split(sep).join('/'),
    provider: rec.provider,
    model: rec.model,
    request_id: rec.request_id,
    finished_at: rec.finished_at,
  };
}

export interface LockWriterOptions {
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
}

export class LockWriter {
  readonly #path: string;
  readonly #options: LockWriterOptions & { readonly cache: LockCache };
  #pending = new Map<string, LockEntry>();
  /** Resolvers of `set` calls whose entries are in `#pending`. */
  #waiting: (() => void)[] = [];
  #running: Promise<void> | null = null;
  #error: unknown = null;

  constructor(path: string, options: LockWriterOptions) {
    this.#path = path;
    this.#options = { ...options, cache: new LockCache() };
  }

  /** Queue an entry; the promise resolves once it is on disk (or the write failed: see `flush`). */
  set(nodeId: string, entry: LockEntry): Promise<void> {
    this.#pending.set(nodeId, entry);
    const written = new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#kick();
    return written;
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
    const waiting = this.#waiting;
    this.#pending = new Map();
    this.#waiting = [];
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
    } finally {
      for (const resolve of waiting) resolve();
    }
  }
}
