/**
 * The chokidar watchers behind one RecipeWatcher: one per folder to watch, opened when a
 * folder becomes relevant and closed when it stops being so (nothing accumulates). A folder
 * that does not exist yet is watched from its nearest existing ancestor (chokidar alone does
 * not notice a missing path appear); a folder deleted and made again, renamed away and back, or
 * swapped (for a symlink to it, a copy renamed over it) is watched anew, as it is at the path now:
 * chokidar drops a folder it once found gone, for good, or goes on watching a renamed one. A file
 * saved in a newly watched folder after the cycle's load looked at it, but before its watcher
 * was ready, is reported once the watcher is: nothing saved meanwhile goes unseen.
 * chokidar uses fs events (inotify/FSEvents), never polling: an idle watch costs no CPU.
 */
import type { FSWatcher } from 'chokidar';
import type { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { nfc } from '../recipe/sources/unicode-form.js';
import { isInside, type WatchFilter, type WatchRoot, type WatchTargets } from '../recipe/watch-targets.js';
import { fileStamp, surveyRoots, type PresentRoot } from './survey-roots.js';

/** What happened at a path: a file event, or a file or folder found anew (a root appeared, a new watcher's look). */
type PathChange = 'add' | 'change' | 'unlink' | 'found';

export interface RootWatcherEvents {
  /** A relevant path changed (or appeared, or went). */
  readonly onPath: (path: string, change: PathChange) => void;
  /** A folder appeared while its watcher was starting: look again (call `follow` once more). */
  readonly onMissed: () => void;
  readonly onError: (e: unknown) => void;
}

interface Entry {
  readonly recursive: boolean;
  readonly id: string;
  readonly watcher: FSWatcher;
}

/** Marks a root whose appearance a watcher missed: the next `follow` treats it as made again. */
const MISSED = 'missed';

export class RootWatchers {
  readonly #watchers = new Map<string, Entry>();
  /** Watchers that reported their own folder gone: chokidar stopped watching it, for good. */
  readonly #lost = new WeakSet<FSWatcher>();
  /** Each root folder's identity when last looked at (`null`: missing). */
  #ids: ReadonlyMap<string, string | null> = new Map();
  /** Each existing root folder as it is on disk (its name may be in the other Unicode form than written). */
  #onDisk: ReadonlyMap<string, string> = new Map();
  #filter: WatchFilter;

  constructor(
    filter: WatchFilter,
    readonly events: RootWatcherEvents,
  ) {
    this.#filter = filter;
  }

  /** The folders being watched now. */
  get roots(): WatchRoot[] {
    return [...this.#live()].map(([path, w]) => ({ path, recursive: w.recursive }));
  }

  /**
   * Watch exactly the folders `filter` needs; resolves once new watchers are live. `loaded`:
   * the source files the latest load found (see {@link WatchTargets.loaded}). `seen`: the files
   * that load used, as they were (WatchSession.seen); in a newly watched folder, one that differs
   * now, or a relevant file it did not list, is a change.
   */
  async follow(filter: WatchFilter, loaded: ReadonlySet<string>, seen?: ReadonlyMap<string, string>): Promise<void> {
    this.#filter = filter;
    const { present, ids, onDisk } = await surveyRoots(filter.roots);
    const appearing = changedRoots(this.#ids, ids);
    this.#ids = ids;
    this.#onDisk = onDisk;
    const fresh = present.filter((r) => {
      const w = this.#watchers.get(r.path);
      return w?.recursive !== r.recursive || w.id !== r.id || this.#lost.has(w.watcher);
    });
    const stale = [...this.#watchers].filter(
      ([path]) => !present.some((r) => r.path === path) || fresh.some((r) => r.path === path),
    );
    // A watcher on a folder that is gone, made again or no longer wanted closes first: chokidar
    // shares one fs watch per path across watchers, and a new one must not join a dead handle.
    // One that only changes depth closes once its replacement is ready, so nothing falls between.
    const later = stale.filter(
      ([path, w]) => !this.#lost.has(w.watcher) && present.some((r) => r.path === path && r.id === w.id),
    );
    for (const [path] of stale) this.#watchers.delete(path);
    await Promise.all(stale.filter((s) => !later.includes(s)).map(([, w]) => w.watcher.close()));
    const opened = await Promise.all(fresh.map(async (r) => ({ root: r, watcher: await this.#open(r) })));
    for (const { root, watcher } of opened)
      this.#watchers.set(root.path, { recursive: root.recursive, id: root.id, watcher });
    await Promise.all(later.map(([, w]) => w.watcher.close()));
    await this.#recheck(appearing, loaded);
    if (seen) for (const { root } of opened) await this.#changedSince(root, loaded, seen);
  }

  /** Whether a live watcher reports changes to `file` (its folder, or a recursive one above it). */
  covers(file: string): boolean {
    const dir = dirname(file);
    for (const [path, w] of this.#live()) if (dir === path || (w.recursive && isInside(file, path))) return true;
    return false;
  }

  async close(): Promise<void> {
    const all = [...this.#watchers.values()];
    this.#watchers.clear();
    await Promise.all(all.map((w) => w.watcher.close()));
  }

  /** The watchers that still watch their folder. */
  *#live(): Iterable<[string, Entry]> {
    for (const entry of this.#watchers) if (!this.#lost.has(entry[1].watcher)) yield entry;
  }

  async #open(root: PresentRoot): Promise<FSWatcher> {
    // Loaded on first use: the CLI's other commands import this module through src/index.ts.
    const { watch } = await import('chokidar');
    const watcher = watch(root.path, {
      ignoreInitial: true,
      depth: root.recursive ? undefined : 0,
      ignored: (p: string, stats?: Stats) => !this.#filter.relevant(p, kindOf(stats)),
    });
    for (const ev of ['add', 'change', 'unlink'] as const) watcher.on(ev, (p: string) => this.events.onPath(p, ev));
    // A missing root folder (or one on the way to it) appearing is a change too: chokidar lists
    // a new folder before it watches it, so a file written right after the mkdir can go
    // unreported; the cycle this starts reads the folder itself.
    let ready = false;
    watcher.on('addDir', (p: string) => {
      // The root as written, the folder as on disk: either may be the other Unicode form.
      const dir = nfc(p);
      const missing = (r: string): boolean => nfc(r) === dir || nfc(r).startsWith(dir + sep);
      if (ready && [...this.#ids].some(([r, id]) => id === null && missing(r))) this.events.onPath(p, 'found');
    });
    this.#onFolderMoved(watcher, root.path);
    watcher.on('error', (e) => this.events.onError(e));
    await new Promise<void>((resolve) =>
      watcher.once('ready', () => {
        ready = true;
        resolve();
      }),
    );
    return watcher;
  }

  /**
   * A watched folder gone, renamed or swapped (for a symlink to it, say) is a change: the cycle it
   * starts reads the folder, and its follow watches what is at the path now (a new identity,
   * survey-roots.ts) and reopens a watcher that lost its folder. chokidar drops a folder it finds
   * gone for good (its `unlinkDir`), or goes on watching a renamed one wherever it is now, saying
   * so only in the fs event named after the folder itself.
   */
  #onFolderMoved(watcher: FSWatcher, root: string): void {
    watcher.on('unlinkDir', (p: string) => {
      if (p === root) this.#lost.add(watcher);
      if (p === root || this.#watchers.has(p)) this.events.onPath(p, 'unlink');
    });
    watcher.on('raw', (_event, name, details) => {
      const at = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (at === root && name === basename(root)) this.events.onPath(root, 'found');
    });
  }

  /**
   * Root folders that just appeared, went, or were made again: while the watchers switched
   * over (and chokidar lists a folder before it watches it) files may have come unreported.
   * Now that the watchers are live, a relevant file there that the latest load did not find
   * is a change; a folder no watcher knows is watched anew at the next `follow`.
   */
  async #recheck(dirs: readonly string[], loaded: ReadonlySet<string>): Promise<void> {
    if (dirs.length === 0) return;
    const known = new Set([...this.#watchers.values()].flatMap(({ watcher }) => Object.keys(watcher.getWatched())));
    for (const root of dirs) {
      const recursive = this.#filter.roots.some((r) => r.path === root && r.recursive);
      const dir = this.#onDisk.get(root) ?? root;
      const entries = await readdir(dir, { withFileTypes: true, recursive }).catch(() => null);
      if (!entries) continue;
      for (const e of entries) {
        const path = join(e.parentPath, e.name);
        if (e.isFile() && !loaded.has(path) && this.#filter.relevant(path, 'file')) this.events.onPath(path, 'found');
      }
      if (known.has(dir)) continue;
      this.#ids = new Map([...this.#ids, [root, MISSED]]);
      this.events.onMissed();
    }
  }

  /** In a newly watched `root`, report each relevant file that differs from what the load saw. */
  async #changedSince(root: WatchRoot, loaded: ReadonlySet<string>, seen: ReadonlyMap<string, string>): Promise<void> {
    const entries = await readdir(root.path, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(root.path, e.name);
      // A symlink is what it points to: one to a folder (a root of its own, say) is no file, and
      // is not gone into (it may lead back up).
      const kind = await kindOfEntry(e, path);
      if (kind === 'dir') {
        const deeper = { path, recursive: true };
        if (root.recursive && !e.isSymbolicLink() && this.#filter.relevant(path, 'dir'))
          await this.#changedSince(deeper, loaded, seen);
      } else if (kind === 'file' && this.#filter.relevant(path, 'file')) {
        const was = seen.get(path);
        if (was === undefined ? !loaded.has(path) : was !== (await fileStamp(path))) this.events.onPath(path, 'found');
      }
    }
  }
}

/** Roots missing now, or whose folder differs from last time (appeared, or made again). */
function changedRoots(before: ReadonlyMap<string, string | null>, now: ReadonlyMap<string, string | null>): string[] {
  return [...now].flatMap(([path, id]) => {
    const was = before.get(path);
    return id === null || (was !== undefined && was !== id) ? [path] : [];
  });
}

/** What a folder entry at `path` is, through a symlink (nothing: a link to nothing). */
async function kindOfEntry(e: Dirent, path: string): Promise<'dir' | 'file' | null> {
  if (!e.isSymbolicLink()) return e.isDirectory() ? 'dir' : 'file';
  const info = await stat(path).catch(() => null);
  if (info === null) return null;
  return info.isDirectory() ? 'dir' : 'file';
}

/** What the watcher has stat'ed: unknown until it has. */
function kindOf(stats: Stats | undefined): 'dir' | 'file' | undefined {
  if (stats === undefined) return undefined;
  return stats.isDirectory() ? 'dir' : 'file';
}
