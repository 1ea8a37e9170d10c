/**
 * Writes lock entries as nodes finish, coalescing bursts: while one update is on disk the
 * next entries gather and go in the following update, and updates start at most every
 * `minIntervalMs` (an update rewrites the whole file: a few ms of CPU for a few hundred nodes,
 * which at -j 16 on short jobs was a quarter of the runner's CPU), and at most every
 * {@link UPDATE_SHARE}⁻¹ times as long as the last update took: a 10,000-entry lock takes far
 * longer to rewrite than a 100-entry one, so the gap grows with it and rewriting the lock stays a
 * small share of the run however big it gets (no O(n²) in the number of nodes). An entry waits
 * at most that long; its journal entry stays until then (and for good when the update fails:
 * scheduler.ts drops it only once the lock holds the node), so a crash loses nothing. `flush` writes at once
 * and resolves when everything set so far is written. Another process's entries are merged,
 * never lost (updateLock re-reads whenever the file is not the one this writer last wrote); a lock
 * replaced outright (a git checkout of it) keeps only what is written after: a watch session is
 * told so (`onUpdate`) and re-plans, writing back its cached nodes' entries (watch/lock-seen.ts).
 */
import { dirname, relative, sep } from 'node:path';
import { LockCache, updateLock } from '../store/index.js';
import type { LockEntry, RunRecord } from '../store/types.js';
import type { LockUpdateListener } from '../store/lock-file.js';
import type { RunDeps } from './options.js';

/** A node's lock entry for this record, its output path relative to the lock file (so a moved folder still works). */
export function lockEntryFor(rec: RunRecord, output: string, lockPath: string, requestSha?: string): LockEntry {
  return {
    ...(requestSha === undefined ? {} : { request_sha256: requestSha }),
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
  /** Updates start at most this often while entries keep coming (default 200 ms; the first is immediate). */
  readonly minIntervalMs?: number | undefined;
  /** Test hook (see cli/test-hooks.ts). */
  readonly crashPoint?: ((point: string) => void) | undefined;
  /** Each update's file signatures, found and left (a watch session's, watch/lock-seen.ts). */
  readonly onUpdate?: LockUpdateListener | undefined;
}

const DEFAULT_MIN_INTERVAL_MS = 200;
/** Updates take at most this share of the time while entries keep coming. */
const UPDATE_SHARE = 0.05;

export class LockWriter {
  readonly #path: string;
  readonly #options: LockWriterOptions & { readonly cache: LockCache };
  #pending = new Map<string, LockEntry>();
  /** Resolvers of `set` calls whose entries are in `#pending`. */
  #waiting: (() => void)[] = [];
  #running: Promise<void> | null = null;
  #error: unknown = null;
  /** When the last update started (performance.now()), and the timer of a deferred one. */
  #lastStart = -Infinity;
  /** How long the last update took (ms). */
  #lastMs = 0;
  #deferred: NodeJS.Timeout | null = null;

  constructor(path: string, options: LockWriterOptions) {
    this.#path = path;
    this.#options = { ...options, cache: new LockCache() };
  }

  /** Queue an entry; the promise resolves once it is on disk (or the write failed: see `flush`). */
  set(nodeId: string, entry: LockEntry): Promise<void> {
    // After a failed update none is started again: settled at once, as `failed` says (not left pending for ever).
    if (this.#error) return Promise.resolve();
    this.#pending.set(nodeId, entry);
    const written = new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#kick();
    return written;
  }

  /** Whether an update of the lock failed (then `set` promises resolved without their entries on disk). */
  get failed(): boolean {
    return this.#error !== null;
  }

  /** Write what is pending now, and wait until every entry set so far is on disk; rethrows a write failure. */
  async flush(): Promise<void> {
    if (this.#deferred) this.#start();
    while (this.#running) {
      await this.#running;
      if (this.#deferred) this.#start();
    }
    if (this.#error) throw this.#error;
  }

  /** Resolves once no update is under way (one deferred is left deferred): its file signed (`onUpdate`). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #kick(): void {
    if (this.#running || this.#deferred) return;
    const gap = Math.max(this.#options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS, this.#lastMs / UPDATE_SHARE);
    const wait = this.#lastStart + gap - performance.now();
    if (wait > 0) this.#deferred = setTimeout(() => this.#start(), wait);
    else this.#start();
  }

  #start(): void {
    if (this.#deferred) clearTimeout(this.#deferred);
    this.#deferred = null;
    this.#lastStart = performance.now();
    this.#running = this.#drain().finally(() => {
      this.#lastMs = performance.now() - this.#lastStart;
      this.#running = null;
      if (this.#error) this.#giveUp();
      else if (this.#pending.size > 0) this.#kick();
    });
  }

  /** The update failed: entries set meanwhile will not be written either; their `set` promises settle now. */
  #giveUp(): void {
    const waiting = this.#waiting;
    this.#pending = new Map();
    this.#waiting = [];
    for (const resolve of waiting) resolve();
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

/** The fields a run decides; an entry equal in these is not rewritten (a no-op run leaves the lock alone). */
export function sameLockEntry(a: LockEntry, b: LockEntry): boolean {
  return (
    a.key === b.key &&
    a.output === b.output &&
    a.output_sha256 === b.output_sha256 &&
    a.request_sha256 === b.request_sha256
  );
}

/** The lock writer of a run that has none handed to it (a watch session makes one a cycle); none for `edit`. */
export function ownLockWriter(deps: Pick<RunDeps, 'lockPath' | 'rt'>): LockWriter | null {
  if (deps.lockPath === null) return null;
  const { rt } = deps;
  return new LockWriter(deps.lockPath, { pid: rt.pid, isAlive: (pid) => rt.isAlive(pid), crashPoint: rt.crashPoint });
}
