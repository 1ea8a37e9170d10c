/**
 * One run per recipe at a time: a run (and a whole `--watch` session) holds
 * `<recipe-stem>.lock.json.run.lck` (the store's inter-process file mutex) from before it reads
 * the lock file until it ends. A second run of the same recipe waits for it (it is told, once,
 * which pid it waits for), then finds the first one's results as cache hits: it never submits
 * a key the first is paying for, and `out/` and the lock end up written by one run at a time.
 * A lock whose pid is dead (kill -9) is taken over, as is one of a boot of this machine gone; one
 * of another machine (a shared project folder) is waited for, the message naming its host and the
 * `.lck` to delete. The age of a lock never makes it stale, unless it names no holder (left empty
 * by a crash: taken over once a few seconds old, file-mutex.ts).
 */
import { basename, dirname, extname, join } from 'node:path';
import { acquireFileMutex } from '../store/index.js';
import { fileAsOpened } from '../util/real-path.js';

export interface RunLockDeps {
  readonly pid: number;
  readonly isAlive: (pid: number) => boolean;
  /** Stops waiting (Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /**
   * Told once when another live run holds the lock, before waiting for it; `elsewhere`: the
   * holder is a run of another machine, boot or container (its pid cannot be checked from here).
   */
  readonly onWait?: ((pid: number | undefined, elsewhere?: RunLockElsewhere) => void) | undefined;
}

/**
 * A run lock held by a run of another machine, boot or container: the file to delete if none runs,
 * and the other machine's host name when it wrote one.
 */
export interface RunLockElsewhere {
  readonly lck: string;
  readonly host?: string | undefined;
}

/** Wait for and take the run lock of the recipe whose lock file is `lockPath`; returns its release. */
export function holdRunLock(lockPath: string, deps: RunLockDeps): Promise<() => Promise<void>> {
  return acquireFileMutex(`${lockPath}.run`, {
    pid: deps.pid,
    isAlive: deps.isAlive,
    staleMs: Number.MAX_SAFE_INTEGER,
    timeoutMs: Number.MAX_SAFE_INTEGER,
    signal: deps.signal,
    onWait: (holder) =>
      deps.onWait?.(holder.pid, holder.elsewhere ? { lck: `${lockPath}.run.lck`, host: holder.host } : undefined),
  });
}

/** The lock file of the recipe at `path` (as `lockPathFor` names it once loaded), without loading it. */
export function lockPathOfRecipeFile(path: string, cwd: string): string {
  const file = fileAsOpened(cwd, path);
  return join(dirname(file), `${basename(file, extname(file))}.lock.json`);
}

/**
 * The one-line warning a waiting run prints; `self` is this process's pid: a program embedding
 * kontext that runs one recipe twice at once is told the other run is its own.
 */
export function waitingMessage(
  pid: number | undefined,
  recipe: string,
  self?: number,
  elsewhere?: RunLockElsewhere,
): string {
  if (elsewhere)
    // A run lock in a folder another machine or container shares, or left by a container gone:
    // no pid here says whether it still runs, so a kill -9's would be waited for ever.
    return elsewhere.host === undefined
      ? `waiting for ${anotherRun(pid)} on ${recipe}, started on another machine, container or boot: ` +
          `if none is running there, delete ${elsewhere.lck}`
      : `waiting for ${anotherRun(pid)} on ${recipe}, started on another machine (${elsewhere.host}): ` +
          `if none is running there, delete ${elsewhere.lck}`;
  return `waiting for ${anotherRun(pid, self)} on ${recipe}`;
}

/** Who a waiting run waits for: a run of this process (`self`, a watch's earlier run) is not named by its pid. */
export function anotherRun(pid: number | undefined, self?: number): string {
  if (pid !== undefined && pid === self) return 'another kontext run in this process';
  return `another kontext run (pid ${pid === undefined ? '?' : String(pid)})`;
}
