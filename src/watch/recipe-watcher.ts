/**
 * One watched recipe: chokidar on the folders holding the recipe and its local sources (glob
 * folders included; root-watchers.ts), filtered to the files that matter, debounced, feeding
 * a WatchSession. Cycles never overlap: a change during a re-plan waits for it, then re-plans
 * the final state once. The watched set follows the recipe (and the sources it names while
 * it does not load), including folders that do not exist yet. What the runs wrote is watched
 * apart (output-watcher.ts): an output removed starts a cycle, which restores it from the cache;
 * one edited by hand starts none (`onOutputEdited`). The lock changed from outside (a git checkout
 * of it) starts one too, which plans from it; the session's own lock writes never do (lock-seen.ts).
 */
import type { WatchSession } from './watch-session.js';
import { watchFilter, type WatchRoot } from '../recipe/watch-targets.js';
import { debounce, type Debouncer } from './debounce.js';
import { OutputWatcher } from './output-watcher.js';
import { RootWatchers } from './root-watchers.js';
import { fileStamp } from './survey-roots.js';
import { nfc } from '../recipe/sources/unicode-form.js';

/**
 * chokidar drops a file's repeated `change` events within 50 ms of the one it emitted; a quiet
 * period longer than that guarantees the re-plan reads the file after the dropped write.
 */
const MIN_DEBOUNCE_MS = 60;

export interface RecipeWatcherOptions {
  /** Quiet period before a re-plan (default 100 ms; at least 60 ms). */
  readonly debounceMs?: number;
  /**
   * A cycle threw something that is not a recipe problem (those are events), chokidar failed, or
   * the session's listener threw on an event of a cycle (`E_EVENT_LISTENER`, once that cycle is over).
   */
  readonly onCycleError: (e: unknown) => void;
  /**
   * An output the lock names changed by hand: to other bytes than the lock's (edited), or back to
   * the lock's after it was told so (the edit undone). No cycle starts (a run keeps a hand edit,
   * nothing is paid); a served page is rebuilt to show it as it is. A run's own writes are not
   * told: changes while a run goes on are looked at once it is over, against the lock it wrote.
   */
  readonly onOutputEdited?: (paths: readonly string[]) => void;
}

export class RecipeWatcher {
  readonly #session: WatchSession;
  readonly #options: RecipeWatcherOptions;
  readonly #debounced: Debouncer<string>;
  readonly #watchers: RootWatchers;
  readonly #outputs: OutputWatcher;
  #busy: Promise<void> = Promise.resolve();
  #closed = false;
  /** Looks again at sources a cycle waited for (still being written) if nothing else does first. */
  #retry: NodeJS.Timeout | null = null;
  /** The paths of the quiet period under way told as a change, not only as `moved` (root-watchers.ts). */
  readonly #changed = new Set<string>();

  constructor(session: WatchSession, options: RecipeWatcherOptions) {
    this.#session = session;
    this.#options = options;
    this.#watchers = new RootWatchers(watchFilter(session.targets()), {
      onPath: (path, change) => this.#onFs(path, change === 'moved'),
      onMissed: () => this.#refollow(),
      onError: (e) => this.#report(e),
    });
    const quietMs = Math.max(MIN_DEBOUNCE_MS, options.debounceMs ?? 100);
    this.#debounced = debounce(quietMs, (paths) => {
      const changed = paths.filter((p) => this.#changed.has(p));
      this.#changed.clear();
      const told = session.resume.changes; // once planned, a hold after a freeze is over (resume-hold.ts)
      this.#enqueue(
        changed,
        paths.filter((p) => !changed.includes(p)),
        () => session.resume.looked(told),
      );
    });
    this.#outputs = new OutputWatcher(
      {
        onGone: (paths) => {
          for (const p of paths) this.#onFs(p);
        },
        onEdited: options.onOutputEdited,
        // A file a stopped cycle said to check out changed: the next cycle looks again.
        onArmed: (paths) => {
          for (const p of paths) this.#onFs(p);
        },
        onError: (e) => this.#report(e),
      },
      quietMs,
    );
    // A lock write of the session's that found the file replaced from outside: a change (lock-seen.ts).
    session.lock.onOutside = (lock) => this.#onFs(lock);
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
    return this.#watchers.roots;
  }

  /** Stop watching (the session is the caller's to close). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#debounced.cancel();
    if (this.#retry) clearTimeout(this.#retry);
    await this.#busy;
    await this.#watchers.close();
    await this.#outputs.close();
  }

  /** To the caller's error sink; one that throws itself (a closed connection, say) never stops watching. */
  #report(e: unknown): void {
    try {
      this.#options.onCycleError(e);
    } catch {
      // Nowhere left to say it: watching goes on.
    }
  }

  /**
   * Run a cycle for `changed`, and for what of `moved` (folders that may have moved, root-watchers.ts)
   * changed; none when nothing did.
   */
  #enqueue(changed: readonly string[], moved: readonly string[] = [], looked?: () => void): void {
    this.#busy = this.#busy.then(async () => {
      await this.#cycle(changed, moved).finally(looked);
    });
  }

  /** One step of the queue: `#enqueue`'s cycle. */
  async #cycle(changed: readonly string[], moved: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const told = moved.length === 0 ? changed : [...changed, ...(await this.#settle(moved))];
    const paths = await this.#lockFromOutside(told);
    if ((moved.length > 0 || told.length > 0) && paths.length === 0) return;
    // This cycle looks at every source still waited for: an earlier look-again is moot.
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    // From before the run starts until it is over: its own writes are not hand edits.
    let running = false;
    try {
      const result = await this.#session.cycle(paths, {
        beforeStart: async () => {
          this.#outputs.runStarts();
          running = true;
          await this.#follow(this.#session.seen);
          // Not waited for: a first look at a large out/ folder must not hold the run back.
          this.#watchOutputs().catch((e: unknown) => this.#report(e));
        },
        watched: (file) => this.#watchers.covers(file),
      });
      // Invalid: the last good recipe's targets (or the recipe alone) stay watched; stopped: the new recipe's.
      if (result.kind === 'invalid' || result.kind === 'stopped') await this.#follow();
      if (result.kind === 'stopped' && result.retryOn) {
        await this.#watchOutputs(result.retryOn);
        // Checked out while its watcher started: a change all the same (what onArmed would have told).
        for (const [p, stamp] of result.retryStamps ?? []) if ((await fileStamp(p)) !== stamp) this.#onFs(p);
      }
      if (result.kind === 'waiting') this.#lookAgain(result.paths, result.retryMs);
      // The caller's listener threw on an event of the cycle: reported, nothing else changes.
      if (result.kind !== 'started' && result.listenerError) this.#report(result.listenerError);
      if (result.kind === 'started') {
        running = false;
        void result.done.catch((e: unknown) => this.#ranOut(e)).then(() => this.#followOutputs());
      }
    } catch (e) {
      this.#report(e);
    } finally {
      if (running) void this.#outputs.runOver(null).catch((e: unknown) => this.#report(e));
    }
  }

  /**
   * Watch exactly the folders the session's targets need; resolves once new ones are live.
   * `seen`: what the cycle's load used; what differs from it in a new folder is a change.
   */
  async #follow(seen?: ReadonlyMap<string, string>): Promise<void> {
    if (this.#closed) return;
    const targets = this.#session.targets();
    await this.#watchers.follow(watchFilter(targets), new Set(targets.loaded), seen);
  }

  /**
   * Once a run is over: watch what the lock now names, in the folders as they are now (made again,
   * perhaps), and look at the outputs changed meanwhile against it.
   */
  #followOutputs(): void {
    this.#busy = this.#busy
      .then(async () => {
        const written = await this.#session.written(true).catch((e: unknown) => {
          this.#report(e);
          return null;
        });
        await this.#outputs.runOver(this.#closed ? null : written);
      })
      .catch((e: unknown) => this.#report(e));
  }

  /**
   * Watch the outputs the lock names as the cycle planned with it (after its run:
   * `#followOutputs`), and `armed`: files a stopped cycle named, whose change starts the next
   * cycle (once).
   */
  async #watchOutputs(armed: readonly string[] = []): Promise<void> {
    if (this.#closed) return;
    const planned = await this.#session.written(false);
    const written = planned ?? (armed.length > 0 ? { outDir: '', files: [], sha256: new Map<string, string>() } : null);
    if (written) await this.#outputs.follow(written, armed);
  }

  /** What of `moved` changed, the lost watchers among them watching again. */
  async #settle(moved: readonly string[]): Promise<string[]> {
    const targets = this.#session.targets();
    return this.#watchers.settle(moved, watchFilter(targets), new Set(targets.loaded), this.#session.seen);
  }

  /**
   * `paths` without the lock unless it changed from outside (a git checkout of it: the cycle plans
   * from it as it is, lock-seen.ts); the session's own lock writes start no cycle.
   */
  async #lockFromOutside(paths: readonly string[]): Promise<readonly string[]> {
    if (!paths.some((p) => p.endsWith('.lock.json'))) return paths;
    const lock = this.#session.targets().lock;
    if (lock === undefined) return paths;
    const isLock = (p: string): boolean => nfc(p) === nfc(lock);
    if (!paths.some(isLock)) return paths;
    if (await this.#session.lockChangedOutside(lock).catch(() => true)) return paths; // unreadable: looked at
    return paths.filter((p) => !isLock(p));
  }

  /** Follow once more after what is queued (a folder appeared while its watcher started). */
  #refollow(): void {
    this.#busy = this.#busy.then(() => this.#follow()).catch((e: unknown) => this.#report(e));
  }

  #lookAgain(paths: readonly string[], ms: number): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      for (const path of paths) this.#onFs(path);
    }, ms);
  }

  /**
   * A node's failure is its run's summary and events to tell; a cycle's `done` rejects only when the
   * run itself threw (the listener's own `E_EVENT_LISTENER`, run/event-listener.ts, or anything that
   * stopped the run before its summary): always reported, never dropped.
   */
  #ranOut(e: unknown): void {
    this.#report(e);
  }

  /** `moved`: only that a watched folder may have moved (a change only if `settle` finds one). */
  #onFs(path: string, moved = false): void {
    if (this.#closed) return;
    this.#session.resume.changeSeen();
    if (!moved) this.#changed.add(path);
    this.#debounced.push(path);
  }
}
