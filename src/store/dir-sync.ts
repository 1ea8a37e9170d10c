/**
 * Durable names. A rename (or link, or a new folder) changes a folder, not a file: after a power
 * cut it may be lost unless the folder itself is fsynced once the change is made. Here: fsync a
 * folder, shared by everyone in this process who changed that folder at about the same time
 * (group commit), and make folders so that each new one survives a power cut too.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { retryFdLimit } from '../util/fd-limit.js';
import { mkdirp } from '../util/mkdir-p.js';
import { isCode } from './errno.js';

/**
 * fsync a folder so renames, links and unlinks in it are durable. Only on platforms that cannot
 * sync a folder do we go on without: Windows refuses to open one (EISDIR, EPERM or EACCES), and
 * some systems refuse the fsync itself (EINVAL, EPERM, EBADF: macOS on some file systems, network
 * mounts); there the rename is as durable as the OS makes it. Any other error fails the caller.
 */
async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await retryFdLimit(() => open(dir, 'r'));
  } catch (e) {
    if (isCode(e, 'EISDIR', 'EPERM', 'EACCES')) return;
    throw e;
  }
  try {
    await handle.sync();
  } catch (e) {
    if (!isCode(e, 'EINVAL', 'EPERM', 'EBADF')) throw e;
  } finally {
    await handle.close();
  }
}

/** One fsync lane per folder, kept only while a sync runs or waits. */
interface Lane {
  running: Promise<void> | null;
  next: Promise<void> | null;
}

const lanes = new Map<string, Lane>();

/**
 * fsync `dir` after a change the caller has made in it; resolves once a sync that started after
 * the call is done. Group commit: at most one sync of a folder runs at a time; a caller arriving
 * while one runs waits for the next one (which starts after its change, so covers it), shared
 * with everyone who arrived meanwhile. A failed sync fails the callers it was for.
 */
export function syncDir(dir: string): Promise<void> {
  let lane = lanes.get(dir);
  if (lane === undefined) {
    lane = { running: null, next: null };
    lanes.set(dir, lane);
  }
  const current = lane;
  const start = (): Promise<void> => {
    const run = fsyncDir(dir).finally(() => {
      current.running = null;
      if (current.next === null && lanes.get(dir) === current) lanes.delete(dir);
    });
    current.running = run;
    return run;
  };
  if (current.running === null) return start();
  current.next ??= current.running
    .catch(() => undefined)
    .then(() => {
      current.next = null;
      return current.running ?? start();
    });
  return current.next;
}

/** Folders changed by a rename that must be durable before the journal lets go of its request. */
const dirty = new Set<string>();
/** Syncs of dirty folders under way (a caller of {@link syncDirty} waits for these too). */
const inflight = new Set<Promise<void>>();
/**
 * What a caller waits for: every sync in {@link inflight} when it was made (rejecting with the
 * first that fails), one promise shared by the callers until a sync is added or one fails. One per
 * call instead, over every sync under way, was a 10,000-node run's largest live set (walk-t 6):
 * a lock write lets the journal go of hundreds of requests at once, each removal a call, and with
 * the API faster than the client up to 2,143 removals waited at once on ~500 syncs each.
 */
let allInflight: Promise<void> | null = null;

/**
 * Note that a rename into `dir` must be durable before the journal entry of its request is
 * removed (a paid blob, its record, its out/ copy), without waiting for it now: the folder is
 * fsynced by the next {@link syncDirty}, off the node's path, shared by every rename noted
 * there since. Nothing is lost if the process dies first: the journal entry is still there.
 */
export function markDirty(dir: string): void {
  dirty.add(dir);
}

/**
 * fsync every folder noted by {@link markDirty} so far, and wait for such syncs already under
 * way. The journal calls it before it removes an entry. A folder gone since is skipped; a failed
 * sync fails the callers waiting for it and leaves its folder noted (the next call tries it again).
 */
export function syncDirty(): Promise<void> {
  for (const dir of dirty) {
    const sync = syncDir(dir).catch((e: unknown) => {
      // A folder deleted since (a cache dir removed under the run) holds nothing to keep.
      if (isCode(e, 'ENOENT')) return;
      dirty.add(dir);
      throw e;
    });
    inflight.add(sync);
    allInflight = null;
    sync.then(
      () => inflight.delete(sync),
      () => {
        // A later caller does not wait for (nor fail by) a sync over before it came.
        inflight.delete(sync);
        allInflight = null;
      },
    );
  }
  dirty.clear();
  allInflight ??= Promise.all(inflight).then(() => undefined);
  return allInflight;
}

/**
 * `mkdir -p dir`, durably: each folder it creates is made durable in its parent (the new name
 * fsynced there), so a file later renamed into `dir` and synced there is not lost with `dir`.
 * A folder that exists already costs one stat and no fsync. `deferred`: the parents are noted
 * for the next {@link syncDirty} instead (for the folders of a paid result: see markDirty).
 * Returns the first folder it created, or undefined (as util/mkdir-p.ts's `mkdirp`).
 */
export async function mkdirDurable(dir: string, deferred = false): Promise<string | undefined> {
  const first = await mkdirp(dir);
  if (first === undefined) return undefined;
  // Created: `first` and every folder below it on the way to `dir`; sync each one's parent.
  const parents: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    parents.push(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
  if (deferred) for (const parent of parents) markDirty(parent);
  else await Promise.all(parents.map(syncDir));
  return first;
}
