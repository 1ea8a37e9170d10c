/**
 * One watched recipe: chokidar on the recipe and its local sources (glob folders included),
 * debounced, feeding a WatchSession. Cycles never overlap: a change during a reload waits
 * for it and then re-plans the final state once. The watched set follows the recipe.
 */
import { resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { WatchSession } from '../../run/watch-session.js';
import { debounce, type Debouncer } from './debounce.js';

export interface RecipeWatcherOptions {
  readonly debounceMs?: number;
  /** Paths never to react to (outputs, the cache dir, the lock file). */
  readonly ignore: (path: string) => boolean;
  readonly onCycleError: (e: unknown) => void;
}

export class RecipeWatcher {
  readonly #session: WatchSession;
  readonly #options: RecipeWatcherOptions;
  readonly #watcher: FSWatcher;
  readonly #debounced: Debouncer<string>;
  #watched = new Set<string>();
  #busy: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(session: WatchSession, options: RecipeWatcherOptions) {
    this.#session = session;
    this.#options = options;
    this.#watcher = watch([], { ignoreInitial: true, ignored: (p: string) => options.ignore(p), awaitWriteFinish: false });
    this.#debounced = debounce(options.debounceMs ?? 100, (paths) => this.#enqueue(paths));
    for (const ev of ['add', 'change', 'unlink'] as const) this.#watcher.on(ev, (p: string) => this.#onFs(p));
    this.#watcher.on('error', (e) => options.onCycleError(e));
  }

  /** Run the first cycle and start watching. */
  async start(): Promise<void> {
    this.#follow([resolve(this.#session.deps.rt.cwd, this.#session.path)]);
    this.#enqueue([]);
    await this.#busy;
  }

  /** Resolves when the current cycle has been planned (its run may still be going). */
  get settled(): Promise<void> {
    return this.#busy;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#debounced.cancel();
    await this.#watcher.close();
    await this.#busy;
  }

  #onFs(path: string): void {
    if (!this.#closed) this.#debounced.push(path);
  }

  #enqueue(paths: string[]): void {
    this.#busy = this.#busy.then(async () => {
      if (this.#closed) return;
      try {
        await this.#session.cycle(paths);
        this.#refollow();
      } catch (e) {
        this.#options.onCycleError(e);
      }
    });
  }

  #refollow(): void {
    const targets = this.#session.targets();
    if (!targets) return;
    this.#follow([...targets.files, ...targets.dirs.map((d) => d.path)]);
  }

  /** Watch exactly these paths: add the new ones, stop watching the dropped ones. */
  #follow(paths: readonly string[]): void {
    const next = new Set(paths);
    const added = [...next].filter((p) => !this.#watched.has(p));
    const removed = [...this.#watched].filter((p) => !next.has(p) && !added.some((a) => p.startsWith(a + sep)));
    if (added.length > 0) this.#watcher.add(added);
    if (removed.length > 0) this.#watcher.unwatch(removed);
    this.#watched = next;
  }
}
