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

/**
 * What happened at a path: a file event, or a file or folder found anew (a root appeared, a new
 * watcher's look), or `moved`: a watched folder may have been renamed, swapped or lost by its
 * watcher (the path is the folder, a file its lost watcher let go, or a file chokidar told of
 * while that folder's move was still to be looked at): no change by itself,
 * {@link RootWatchers.settle} tells whether anything changed.
 */
type PathChange = 'add' | 'change' | 'unlink' | 'found' | 'moved';

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
/**
 * A file whose inode changed this long before its watcher was found lost may have changed unseen
 * (chokidar tells of the loss a little after the fact), or before its folder was told `moved` (a
 * save just before, told of just after); more than this is not looked at again.
 */
const LOST_SLACK_MS = 1_000;

export class RootWatchers {
  readonly #watchers = new Map<string, Entry>();
  /** Watchers that reported their own folder gone (chokidar stopped watching it, for good), and since when. */
  readonly #lost = new WeakMap<FSWatcher, number>();
  /**
   * The folders told `moved` that `settle` has not looked at yet, and since when; and the files told
   * `moved` because they are in one, with that time. Emptied by `settle`.
   */
  readonly #moving = new Map<string, number>();
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
    if (seen) for (const { root } of opened) this.#tell(await this.#changedSince(root, loaded, seen));
  }

  /**
   * Look at what was told `moved` (folders, or files a lost watcher let go, or told of while their
   * folder's move was to be looked at): a folder whose identity changed (gone, made again, swapped, a
   * symlink to it retargeted) is a change; one that is the same folder but lost its watcher is watched
   * anew, and a file there changed or gone since is a change; one as it was (a child folder of its
   * name made, say) is none. A file told of meanwhile, in a folder whose watcher goes on, is a change
   * as one there would be, from the move on. Returns the changes.
   */
  async settle(
    moved: readonly string[],
    filter: WatchFilter,
    loaded: ReadonlySet<string>,
    seen: ReadonlyMap<string, string>,
  ): Promise<string[]> {
    this.#filter = filter;
    const { present } = await surveyRoots(filter.roots);
    const changed = new Set<string>();
    const lost: { root: WatchRoot; since: number }[] = [];
    const meanwhile: { file: string; since: number }[] = [];
    for (const path of moved) {
      const told = this.#moving.get(path);
      this.#moving.delete(path);
      const entry = this.#watchers.get(path) ? path : this.#lostHolding(path);
      const w = entry === undefined ? undefined : this.#watchers.get(entry);
      if (entry === undefined || w === undefined) {
        if (told !== undefined) meanwhile.push({ file: path, since: told });
        continue;
      }
      const since = this.#lost.get(w.watcher);
      if (present.find((r) => r.path === entry)?.id !== w.id) changed.add(entry);
      else if (since !== undefined && !lost.some((l) => l.root.path === entry))
        lost.push({ root: { path: entry, recursive: w.recursive }, since });
    }
    for (const { file, since } of meanwhile) if (await changedMeanwhile(file, loaded, seen, since)) changed.add(file);
    if (lost.length === 0) return [...changed];
    await this.follow(filter, loaded);
    for (const { root, since } of lost)
      for (const p of await this.#changedSince(root, loaded, seen, since)) changed.add(p);
    return [...changed];
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
    // What a watcher that lost its folder says of the files in it is what chokidar lets go, and what
    // one says while its folder's move is to be looked at may be chokidar reading the folder while it
    // was away and once it was back (its files then `change`): `settle` looks.
    for (const ev of ['add', 'change', 'unlink'] as const)
      watcher.on(ev, (p: string) => {
        const since = this.#movingSince(p);
        if (since !== undefined && !this.#lost.has(watcher)) this.#moving.set(p, since);
        this.events.onPath(p, this.#lost.has(watcher) || since !== undefined ? 'moved' : ev);
      });
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
   * A watched folder that may have gone, been renamed or swapped (for a symlink to it, say, or the
   * symlink retargeted) is told `moved`; `settle` looks at what is at the path now (its identity,
   * survey-roots.ts). chokidar drops a folder it finds gone for good (its `unlinkDir`), or goes on
   * watching a renamed one wherever it is now, saying so only in the fs event named after the
   * folder itself (which a child folder of the same name gives too); the folder above it, when
   * watched, names it in its own fs events (a symlink replaced, which chokidar may not report).
   */
  #onFolderMoved(watcher: FSWatcher, root: string): void {
    watcher.on('unlinkDir', (p: string) => {
      if (p === root && !this.#lost.has(watcher)) this.#lost.set(watcher, Date.now());
      if (p === root || this.#watchers.has(p)) this.#moved(p);
    });
    watcher.on('raw', (_event, name, details) => {
      const at = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      if (typeof at !== 'string' || typeof name !== 'string') return;
      if (at === root && name === basename(root)) this.#moved(root);
      else if (this.#watchers.has(join(at, name))) this.#moved(join(at, name));
    });
  }

  /** The watched folder `dir` may have moved: told, and until `settle` looks, what is told of in it is too. */
  #moved(dir: string): void {
    if (!this.#moving.has(dir)) this.#moving.set(dir, Date.now());
    this.events.onPath(dir, 'moved');
  }

  /** Since when a folder holding `file` was told `moved`, `settle` not having looked yet. */
  #movingSince(file: string): number | undefined {
    let since: number | undefined;
    for (const [dir, t] of this.#moving) if (isInside(file, dir) && (since === undefined || t < since)) since = t;
    return since;
  }

  /** The folder of the lost watcher `file` was in. */
  #lostHolding(file: string): string | undefined {
    for (const [path, w] of this.#watchers)
      if (this.#lost.has(w.watcher) && (dirname(file) === path || (w.recursive && isInside(file, path)))) return path;
    return undefined;
  }

  #tell(found: readonly string[]): void {
    for (const p of found) this.events.onPath(p, 'found');
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

  /**
   * In a newly watched `root`, each relevant file that differs from what the load saw. `since`: when
   * its earlier watcher was found lost; a file the load used changed after that, or gone, is one too.
   */
  async #changedSince(
    root: WatchRoot,
    loaded: ReadonlySet<string>,
    seen: ReadonlyMap<string, string>,
    since?: number,
  ): Promise<string[]> {
    const found: string[] = [];
    const entries = await readdir(root.path, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = join(root.path, e.name);
      // A symlink is what it points to: one to a folder (a root of its own, say) is no file, and
      // is not gone into (it may lead back up).
      const kind = await kindOfEntry(e, path);
      if (kind === 'dir') {
        const deeper = { path, recursive: true };
        if (root.recursive && !e.isSymbolicLink() && this.#filter.relevant(path, 'dir'))
          found.push(...(await this.#changedSince(deeper, loaded, seen, since)));
      } else if (kind === 'file' && this.#filter.relevant(path, 'file')) {
        const was = seen.get(path);
        if (
          was !== undefined ? was !== (await fileStamp(path)) : !loaded.has(path) || (await changedAfter(path, since))
        )
          found.push(path);
      }
    }
    if (since === undefined) return found;
    const inRoot = (f: string): boolean => dirname(f) === root.path || (root.recursive && isInside(f, root.path));
    const used = [...loaded, ...seen.keys()].filter((f) => inRoot(f) && !found.includes(f));
    for (const f of new Set(used)) if ((await fileStamp(f)) === '') found.push(f);
    return found;
  }
}

/** Roots missing now, or whose folder differs from last time (appeared, or made again). */
function changedRoots(before: ReadonlyMap<string, string | null>, now: ReadonlyMap<string, string | null>): string[] {
  return [...now].flatMap(([path, id]) => {
    const was = before.get(path);
    return id === null || (was !== undefined && was !== id) ? [path] : [];
  });
}

/**
 * Whether `file`, told of while its folder's move (told at `since`) was to be looked at, changed: its
 * stamp, when the load saw it; else gone though the load found it, new, or changed after `since`.
 */
async function changedMeanwhile(
  file: string,
  loaded: ReadonlySet<string>,
  seen: ReadonlyMap<string, string>,
  since: number,
): Promise<boolean> {
  const was = seen.get(file);
  const now = await fileStamp(file);
  if (was !== undefined) return now !== was;
  if (now === '') return loaded.has(file);
  return !loaded.has(file) || (await changedAfter(file, since));
}

/** Whether the file at `path` changed (its inode) after `since`, less the slack; never when no `since`. */
async function changedAfter(path: string, since: number | undefined): Promise<boolean> {
  if (since === undefined) return false;
  const info = await stat(path).catch(() => null);
  return info === null || info.ctimeMs >= since - LOST_SLACK_MS;
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
