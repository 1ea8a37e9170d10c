/**
 * Watch mode's eye on what its runs wrote (the recipe watcher ignores `<out>/` and `save:` copies,
 * so a run's own writes never start a cycle). Here they are watched for two things. A file the
 * lock names as a node's output (or its `save:` copy) going away, the out folder deleted or
 * single files: the recipe watcher then starts a cycle, whose run restores them from the cache
 * (cache hits: no request). A run's own writes are adds, changes, and temps renamed into place
 * (temps are not watched): never a removal of an output, so restoring cannot loop. And such a
 * file changed to bytes that are not the lock's (edited by hand), or back to the lock's bytes after
 * that was told (the edit undone: git checkout, an editor's undo; or a run wrote it anew): only
 * told (`onEdited`), so the served page shows it as it is; never a cycle (a run keeps a hand
 * edit, and nothing is paid for it). While a run goes on (`runStarts` … `runOver`), changes are
 * held, then looked at against the lock that run wrote: its own writes are not hand edits.
 * Each follow (after a run) watches the folders anew: an out folder deleted and made again gets a
 * new watcher; one that may have moved is settled once the quiet period is over (`#settle`), so a
 * watcher chokidar dropped (the folder moved away and back) is opened again. A follow may also arm
 * files (a cycle's merge stop names the outputs to check out): any change of one is told once
 * (`onArmed`), and the next follow, before any run, disarms them.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Plan } from '../plan/types.js';
import { lockedTargets } from '../run/hand-edits.js';
import { readLock } from '../store/index.js';
import type { LockFile } from '../store/types.js';
import { isInside, type WatchFilter } from '../recipe/watch-targets.js';
import { isTempName } from '../store/atomic.js';
import { sha256OfFile } from '../util/file-sha256.js';
import { foldPath } from '../util/fold-path.js';
import { holdsBytes } from '../util/lfs-pointer.js';
import { debounce, type Debouncer } from './debounce.js';
import { RootWatchers } from './root-watchers.js';

/** The files watch mode keeps in place: the out folder and what the lock names in it or elsewhere. */
export interface WrittenFiles {
  readonly outDir: string;
  /** Absolute paths: the lock's outputs and `save:` copies of the plan's nodes. */
  readonly files: readonly string[];
  /** Each of `files` → the lock's `output_sha256` for it (its node's output). */
  readonly sha256: ReadonlyMap<string, string>;
}

export interface OutputWatcherEvents {
  /** Outputs that went (each still missing after the quiet period). */
  readonly onGone: (paths: readonly string[]) => void;
  /**
   * Outputs changed by hand (after the quiet period, never during a run): to bytes that are not the
   * lock's, or back to the lock's after they were told here (an edit undone, or a run that wrote
   * the output anew).
   */
  readonly onEdited?: (paths: readonly string[]) => void;
  readonly onError: (e: unknown) => void;
  /** A file `follow` was told to wait for (`armed`) was added, changed or removed: once per `follow`. */
  readonly onArmed?: (paths: readonly string[]) => void;
}

/** The latest planned cycle's plan and lock, and where the lock is. */
export interface PlannedWrites {
  readonly plan: Plan;
  readonly lockPath: string;
  readonly lock: LockFile;
}

/**
 * The files the lock names for `planned`'s nodes (outputs and `save:` copies): what the watcher
 * keeps in place. `reread`: the lock on disk now (after a run), else the one the plan was made
 * from; null when the lock cannot be read.
 */
export async function lockedWrites(planned: PlannedWrites, reread: boolean): Promise<WrittenFiles | null> {
  const lock = reread ? await readLock(planned.lockPath).catch(() => null) : planned.lock;
  if (lock === null) return null;
  const lockDir = dirname(planned.lockPath);
  const sha256 = new Map<string, string>();
  for (const n of planned.plan.nodes) {
    const entry = lock.nodes[n.id];
    for (const f of lockedTargets(n, entry, lockDir)) if (entry) sha256.set(resolve(f), entry.output_sha256);
  }
  return { outDir: planned.plan.recipe.outDir, files: [...sha256.keys()], sha256 };
}

const NOTHING: WrittenFiles = { outDir: '', files: [], sha256: new Map() };

export class OutputWatcher {
  readonly #watchers: RootWatchers;
  readonly #debounced: Debouncer<string>;
  /** Folders that may have moved (or files a lost watcher let go): looked at after the quiet period. */
  readonly #moved: Debouncer<string>;
  /** Files changed or written anew: looked at after the quiet period for bytes that are not the lock's. */
  readonly #changed: Debouncer<string>;
  /** The lock's spellings of the written files, by `foldPath`. */
  #written: ReadonlyMap<string, readonly string[]> = new Map();
  #last: WrittenFiles = NOTHING;
  /** What is watched now: the folders holding `#last`'s files and the armed ones. */
  #filter: WatchFilter = outputFilter(NOTHING);
  /** Files whose change is told once (`onArmed`), by `foldPath`; emptied by that and by every `follow`. */
  #armed: ReadonlySet<string> = new Set();
  #following: Promise<void> = Promise.resolve();
  #closed = false;
  /** Files told as edited, until their bytes are the lock's again (then told once more). */
  readonly #told = new Set<string>();
  /** Runs going on (a superseded one may still be finishing): changes meanwhile are held. */
  #runs = 0;
  readonly #held = new Set<string>();

  constructor(
    private readonly events: OutputWatcherEvents,
    quietMs: number,
  ) {
    this.#watchers = new RootWatchers(this.#filter, {
      onPath: (path, change) => {
        if (this.#closed) return;
        if (this.#armed.has(foldPath(path)) && events.onArmed) {
          this.#armed = new Set();
          events.onArmed([path]);
        }
        if (change === 'unlink') this.#debounced.push(path);
        else if (change === 'moved') this.#moved.push(path);
        else if (events.onEdited && (change === 'change' || change === 'add')) this.#changed.push(path);
      },
      onMissed: () => void this.follow(this.#last).catch(events.onError),
      onError: events.onError,
    });
    this.#debounced = debounce(quietMs, (paths) => {
      // Matched without case: on macOS, Windows or exFAT the file the lock names `Photo.png` may be
      // `photo.png` on disk (a source renamed in case only), and it is that name a removal reports.
      const named = new Set(paths.flatMap((p) => this.#written.get(foldPath(p)) ?? []));
      const gone = [...named].filter((p) => !existsSync(p));
      if (gone.length > 0 && !this.#closed) events.onGone(gone);
    });
    this.#changed = debounce(quietMs, (paths) => {
      void this.#tell(paths.flatMap((p) => this.#written.get(foldPath(p)) ?? [])).catch(events.onError);
    });
    this.#moved = debounce(quietMs, (paths) => {
      this.#following = this.#following.then(() => this.#settle(paths).catch(events.onError));
    });
  }

  /**
   * What of `moved` changed (root-watchers.ts), a watcher that lost its folder (moved away and back)
   * watching it again, so a later removal is seen: a folder swapped or gone is watched as it is now,
   * and each of the lock's files in it is looked at. The lock's files gone start a cycle (`onGone`);
   * those changed are looked at against the lock (`onEdited`).
   */
  async #settle(moved: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const found = await this.#watchers.settle(moved, this.#filter, new Set(this.#last.files), new Map());
    await this.#watchers.follow(this.#filter, new Set());
    const inFolder = this.#last.files.filter((f) => found.some((d) => isInside(f, d)));
    const named = new Set([...found.flatMap((p) => this.#written.get(foldPath(p)) ?? []), ...inFolder]);
    const gone = [...named].filter((p) => !existsSync(p));
    if (gone.length > 0 && !this.#closed) this.events.onGone(gone);
    const there = [...named].filter((p) => !gone.includes(p));
    if (there.length > 0 && this.events.onEdited) await this.#tell(there);
  }

  async #tell(files: readonly string[]): Promise<void> {
    const told = await this.#look(files);
    if (told.length > 0 && !this.#closed) this.events.onEdited?.(told);
  }

  /**
   * Which of `files` to tell as changed by hand: bytes not the lock's, or the lock's again after
   * being told. Held instead while a run goes on (its own writes are not the lock's as planned).
   */
  async #look(files: readonly string[]): Promise<string[]> {
    if (this.#runs > 0) {
      for (const f of files) this.#held.add(f);
      return [];
    }
    const { edited, locked } = await againstLock([...new Set(files)], this.#last.sha256);
    // A run started while they were hashed: looked at again once it is over.
    if (this.#runs > 0) return this.#look(files);
    const undone = locked.filter((f) => this.#told.delete(f));
    for (const f of edited) this.#told.add(f);
    return [...edited, ...undone];
  }

  /** A run starts (before it writes): changes from now on are looked at once no run goes on. */
  runStarts(): void {
    this.#runs++;
  }

  /**
   * A run is over (or did not start after `runStarts`): `written`, what the lock names now, is
   * followed; once no run goes on, the changes held meanwhile are looked at against it.
   */
  runOver(written: WrittenFiles | null): Promise<void> {
    this.#following = this.#following.then(async () => {
      try {
        if (written !== null) await this.#take(written);
      } finally {
        this.#runs = Math.max(0, this.#runs - 1);
      }
      if (this.#runs > 0 || this.#held.size === 0) return;
      const held = [...this.#held];
      this.#held.clear();
      await this.#tell(held).catch(this.events.onError);
    });
    return this.#following;
  }

  /**
   * Watch `written` from now on (the folders holding it), and `armed`'s files for any change
   * (`onArmed`); resolves once the watchers are live. Disarms what an earlier follow armed at once.
   */
  follow(written: WrittenFiles, armed: readonly string[] = []): Promise<void> {
    this.#armed = new Set();
    this.#following = this.#following.then(() => this.#take(written, armed));
    return this.#following;
  }

  async #take(written: WrittenFiles, armed: readonly string[] = []): Promise<void> {
    if (this.#closed) return;
    this.#last = written;
    this.#written = bySpelling(written.files);
    for (const f of this.#told) if (!written.sha256.has(f)) this.#told.delete(f);
    const files = [...written.files, ...armed.filter((f) => !written.sha256.has(f))];
    this.#filter = outputFilter({ ...written, files });
    await this.#watchers.follow(this.#filter, new Set());
    this.#armed = new Set(armed.map(foldPath));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#debounced.cancel();
    this.#changed.cancel();
    this.#moved.cancel();
    await this.#following.catch(() => undefined);
    await this.#watchers.close();
  }
}

/**
 * `files` holding other bytes than `expected` names (nor as their git LFS pointer): `edited`;
 * holding those: `locked`. Gone ones and those `expected` does not name are neither.
 */
async function againstLock(
  files: readonly string[],
  expected: ReadonlyMap<string, string>,
): Promise<{ edited: string[]; locked: string[] }> {
  const edited: string[] = [];
  const locked: string[] = [];
  for (const file of files) {
    const sha256 = expected.get(file);
    const hashed = sha256 === undefined ? null : await sha256OfFile(file).catch(() => null);
    if (sha256 !== undefined && hashed !== null) (holdsBytes(file, hashed, sha256) ? locked : edited).push(file);
  }
  return { edited, locked };
}

function bySpelling(files: readonly string[]): ReadonlyMap<string, readonly string[]> {
  const by = new Map<string, string[]>();
  for (const file of files) {
    const key = foldPath(file);
    by.set(key, [...(by.get(key) ?? []), file]);
  }
  return by;
}

/**
 * The out folder (recursively) when an output lies in it, and the folder of each file outside it
 * (a `save:` copy); nothing when nothing is written yet. Temps are never watched.
 */
function outputFilter(written: WrittenFiles): WatchFilter {
  const { outDir } = written;
  const files = new Set(written.files.map(foldPath));
  const roots = new Map<string, boolean>();
  for (const file of written.files) {
    if (isInside(file, outDir)) roots.set(outDir, true);
    else roots.set(dirname(file), roots.get(dirname(file)) ?? false);
  }
  const list = [...roots].map(([path, recursive]) => ({ path, recursive }));
  return {
    roots: list,
    relevant(path, kind) {
      if (roots.has(path)) return true;
      if (isTempName(basename(path))) return false;
      if (roots.has(outDir) && isInside(path, outDir)) return true;
      if (kind !== 'dir' && files.has(foldPath(path))) return true;
      // An ancestor of a root that is missing (the out folder deleted): watched until it is back.
      return kind !== 'file' && list.some((r) => isInside(r.path, path));
    },
  };
}
