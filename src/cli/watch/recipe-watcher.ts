/**
 * One watched recipe: chokidar on the folders holding the recipe and its local sources (glob
 * folders included), filtered to the files that matter, debounced, feeding a WatchSession.
 * Cycles never overlap: a change during a re-plan waits for it, then re-plans the final state
 * once. The watched set follows the recipe: one chokidar watcher per folder, opened when a
 * folder becomes relevant and closed when it stops being so (nothing accumulates). A folder
 * that does not exist yet is watched from its nearest existing ancestor (chokidar alone does
 * not notice a missing path appear). chokidar uses fs events (inotify/FSEvents), never
 * polling: an idle watch costs no CPU.
 */
import { watch, type FSWatcher } from 'chokidar';
import type { Stats } from 'node:fs';
import { sep } from 'node:path';
import type { WatchSession } from '../../run/watch-session.js';
import { surveyRoots, watchFilter, type PresentRoot, type WatchFilter, type WatchRoot } from '../../recipe/watch-targets.js';
import { debounce, type Debouncer } from './debounce.js';

/**
 * chokidar drops a file's repeated `change` events within 50 ms of the one it emitted; a quiet
 * period longer than that guarantees the re-plan reads the file after the dropped write.
 */
const MIN_DEBOUNCE_MS = 60;

export interface RecipeWatcherOptions {
  /** Quiet period before a re-plan (default 100 ms; at least 60 ms). */
  readonly debounceMs?: number;
  /** A cycle threw something that is not a recipe problem (those are events), or chokidar failed. */
  readonly onCycleError: (e: unknown) => void;
}

export class RecipeWatcher {
  readonly #session: WatchSession;
  readonly #options: RecipeWatcherOptions;
  readonly #debounced: Debouncer<string>;
  readonly #watchers = new Map<string, { readonly recursive: boolean; readonly id: string; readonly watcher: FSWatcher }>();
  /** Each root folder's identity when last looked at (`null`: missing). */
  #ids: ReadonlyMap<string, string | null> = new Map();
  #filter: WatchFilter;
  #busy: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(session: WatchSession, options: RecipeWatcherOptions) {
    this.#session = session;
    this.#options = options;
    this.#filter = watchFilter(session.targets());
    this.#debounced = debounce(Math.max(MIN_DEBOUNCE_MS, options.debounceMs ?? 100), (paths) => this.#enqueue(paths));
  }

  /** Run the first cycle (watching from before its run starts). */
  async start(): Promise<void> {
    this.#enqueue([]);
    await this.#busy;
  }

  /** Resolves when the cycles queued so far have been planned (their runs may still be going). */
  get settled(): Promise<void> {
    return this.#busy;
  }

  /** The folders being watched now. */
  get roots(): WatchRoot[] {
    return [...this.#watchers].map(([path, w]) => ({ path, recursive: w.recursive }));
  }

  /** Stop watching (the session is the caller's to close). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#debounced.cancel();
    await this.#busy;
    const all = [...this.#watchers.values()];
    this.#watchers.clear();
    await Promise.all(all.map((w) => w.watcher.close()));
  }

  #enqueue(paths: string[]): void {
    this.#busy = this.#busy.then(async () => {
      if (this.#closed) return;
      try {
        const result = await this.#session.cycle(paths, { beforeStart: () => this.#follow() });
        // Invalid: the last good recipe's targets (or the recipe alone) stay watched.
        if (result.kind === 'invalid') await this.#follow();
      } catch (e) {
        this.#options.onCycleError(e);
      }
    });
  }

  /**
   * Watch exactly the folders the session's targets need; resolves once new ones are live.
   * New watchers are ready before the ones they replace close, so no event falls in between.
   * A folder deleted and made again is watched anew (the old watcher saw the old folder).
   */
  async #follow(): Promise<void> {
    if (this.#closed) return;
    this.#filter = watchFilter(this.#session.targets());
    const { present, ids } = await surveyRoots(this.#filter.roots);
    if (this.#closed) return;
    const news = appeared(this.#ids, ids);
    this.#ids = ids;
    const fresh = present.filter((r) => {
      const w = this.#watchers.get(r.path);
      return w?.recursive !== r.recursive || w.id !== r.id;
    });
    const stale = [...this.#watchers].filter(([path]) => !present.some((r) => r.path === path) || fresh.some((r) => r.path === path));
    const opened = await Promise.all(fresh.map((r) => this.#open(r, news)));
    for (const [path] of stale) this.#watchers.delete(path);
    fresh.forEach((r, i) => this.#watchers.set(r.path, { recursive: r.recursive, id: r.id, watcher: opened[i] as FSWatcher }));
    await Promise.all(stale.map(([, w]) => w.watcher.close()));
  }

  /**
   * `news`: folders whose files the watcher's first scan reports as changes (they appeared
   * after we looked, or were made again); elsewhere the first scan is what the cycle loaded.
   */
  async #open(root: PresentRoot, news: readonly string[]): Promise<FSWatcher> {
    const watcher = watch(root.path, {
      ignoreInitial: news.length === 0,
      depth: root.recursive ? undefined : 0,
      ignored: (p: string, stats?: Stats) => !this.#filter.relevant(p, stats === undefined ? undefined : stats.isDirectory() ? 'dir' : 'file'),
    });
    let ready = false;
    const counts = (p: string): boolean => ready || news.some((n) => p === n || p.startsWith(n + sep));
    for (const ev of ['add', 'change', 'unlink'] as const) watcher.on(ev, (p: string) => {
        if (counts(p)) this.#onFs(p);
      });
    watcher.on('error', (e) => this.#options.onCycleError(e));
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    ready = true;
    return watcher;
  }

  #onFs(path: string): void {
    if (!this.#closed) this.#debounced.push(path);
  }
}

/** Roots missing now, or made again since last time (a folder that was missing was watched from its ancestor). */
function appeared(before: ReadonlyMap<string, string | null>, now: ReadonlyMap<string, string | null>): string[] {
  return [...now].flatMap(([path, id]) => {
    const was = before.get(path);
    return id === null || (typeof was === 'string' && was !== id) ? [path] : [];
  });
}
