/**
 * What `kontext clean` may remove from `<out>/`: only files kontext can show it made
 * (docs/architecture.md#cache-lock-and-journal), and no other lock file of the project names. A file goes when
 * - it is the output a dropped lock entry names and holds that entry's `output_sha256` (another
 *   recipe sharing the folder may have written its own result there since), or
 * - it sits in kontext's own layout (`<out>/<pass>/<instance>[-v<k>].<ext>`) where no current
 *   node writes, and its bytes are kontext's: some lock entry's `output_sha256`, or a blob in the cache
 * (a git LFS pointer: the bytes its oid names).
 * A crash's temp file (`.<name>.<suffix>.tmp`, a day old) goes when `<name>` is such a file or a
 * current output. Everything else under `<out>/` (a reference photo, a mock-up, a copy under
 * another name, a symlink) is reported as kept, never removed. The walk follows no symlink, and
 * a file whose folders resolve anywhere but where the walk found it is kept too.
 */
import { saveCopyPath } from '../util/save-template.js';
import { type LockScope, otherLockOutputs } from './shared-outputs.js';
import { LFS_POINTER_MAX_BYTES, parseLfsPointer } from '../util/lfs-pointer.js';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { outputPathFor } from '../plan/index.js';
import { isReportFile, reportAssetDirs } from '../plan/report-paths.js';
import type { Plan } from '../plan/types.js';
import { NAME_PATTERN } from '../recipe/schema.js';
import type { Recipe } from '../recipe/types.js';
import { hasBlob } from '../store/blobs.js';
import { isStaleTemp } from '../store/index.js';
import type { LockFile } from '../store/types.js';
import { checkWriteTarget, type WriteGuard } from '../store/write-guard.js';
import { foldPath } from '../util/fold-path.js';

/** Extensions of the images kontext writes (`extensionFor` in outputs.ts, plus `jpeg`). */
const IMAGE_EXTS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif'];

/** Stands for `{ext}` while a `save:` path is resolved: no path holds it. */
const EXT = '\u0000';

/** `<instance>[-v<k>].<ext>`: instances are glob stems limited to these characters, or source names. */
const LAYOUT_NAME = new RegExp(`^[A-Za-z0-9._-]+\\.(?:${IMAGE_EXTS.join('|')})$`);
/**
 * `tempPathFor`'s names: `.<name>.<suffix>.tmp`, the suffix `<12 hex>-<counter>` or, with the
 * writer's tag, `p<pid>t<start>h<8 hex>_<6 hex>-<counter>` (util/unique-suffix.ts).
 */
const TEMP = /^\.(.+)\.(?:[0-9a-f]{12}|p\d+t\d+h[0-9a-f]{8}_[0-9a-f]{6})-[0-9a-z]+\.tmp$/;

export interface CleanScope {
  readonly outDir: string;
  /** Files current nodes write (every image extension), their `save:` copies, current lock entries' outputs. */
  readonly claimed: ReadonlySet<string>;
  /** Current nodes' output paths without their extension: another extension of one is kept. */
  readonly currentStems: ReadonlySet<string>;
  /** Outputs the dropped lock entries name → the `output_sha256` of each entry naming it. */
  readonly orphanOutputs: ReadonlyMap<string, ReadonlySet<string>>;
  /** Whether kontext knows these bytes (a lock entry's output, a cache blob). */
  readonly knownBytes: (sha256: string) => Promise<boolean>;
  readonly guard: WriteGuard;
  readonly now: number;
}

export interface CleanScan {
  /** Files to remove (absolute), unsorted. */
  readonly files: string[];
  /** Folders left empty by the removal, children before parents (the out folder itself included). */
  readonly dirs: string[];
  /** Files and symlinks under `<out>/` kontext did not make, or cannot show it made: kept. */
  readonly kept: string[];
  /** Asked again just before the unlink: the file is still where the walk found it (see {@link staysInOut}). */
  readonly stillInOut: (file: string) => Promise<boolean>;
}

export interface OutScopeInput {
  readonly recipe: Recipe;
  readonly plan: Plan;
  readonly lock: LockFile;
  /** Outputs the project's other locks name ({@link outputsClaimedElsewhere}): theirs, never this recipe's orphans. */
  readonly others?: ReadonlySet<string> | undefined;
  /**
   * Entries of nodes no longer in `plan` that a current node takes over (clean-taken.ts): id →
   * that node. Neither dropped nor their outputs removed.
   */
  readonly taken?: ReadonlyMap<string, string> | undefined;
  readonly lockPath: string;
  readonly cacheDir: string;
  readonly guard: WriteGuard;
  readonly now: number;
}

/**
 * The scope of a recipe's `<out>/` (`kontext clean` removes by it; `kontext status` lists by it):
 * `plan` holds every branch of every variant (picks undone), and `lockEntries` are the ids the
 * lock holds that it does not, but for those a current node takes (`taken`: their outputs are claimed).
 */
export function outScope(p: OutScopeInput): { readonly lockEntries: readonly string[]; readonly scope: CleanScope } {
  const { recipe, plan, lock } = p;
  const current = new Set(plan.nodes.map((n) => n.id));
  const lockEntries = Object.keys(lock.nodes)
    .filter((id) => !current.has(id) && p.taken?.has(id) !== true)
    .sort();
  const fromLock = (output: string): string => resolve(dirname(p.lockPath), output);
  const claimed = new Set<string>();
  const currentStems = new Set<string>();
  // Each path is made once per node with a stand-in extension (asked for every node by status and
  // report too: 7 path resolutions per node cost ~30 ms at 1,000 nodes), then given each real one.
  for (const node of plan.nodes) {
    const base = stem(resolve(outputPathFor(plan, node, 'x')));
    currentStems.add(base);
    const copy = saveCopyPath(node.save, EXT);
    const saved = copy === null ? null : resolve(recipe.dir, copy);
    for (const ext of IMAGE_EXTS) {
      claimed.add(`${base}.${ext}`);
      if (saved !== null) claimed.add(saved.split(EXT).join(ext));
    }
    const entry = lock.nodes[node.id];
    if (entry) claimed.add(fromLock(entry.output));
  }
  for (const file of p.others ?? []) claimed.add(file);
  // A taken entry's output: the run adopts it when the cache lacks the result (adopt.ts).
  for (const id of p.taken?.keys() ?? []) {
    const entry = lock.nodes[id];
    if (entry) claimed.add(fromLock(entry.output));
  }
  const lockShas = new Set(Object.values(lock.nodes).map((e) => e.output_sha256));
  // A cache dir that cannot be read knows nothing.
  const inCache = (sha: string): Promise<boolean> => hasBlob(p.cacheDir, sha).catch(() => false);
  return {
    lockEntries,
    scope: {
      outDir: recipe.outDir,
      claimed,
      currentStems,
      orphanOutputs: orphanShas(lockEntries, lock, fromLock),
      knownBytes: async (sha) => lockShas.has(sha) || (await inCache(sha)),
      guard: p.guard,
      now: p.now,
    },
  };
}

/** Each dropped entry's output → the bytes that entry wrote there (entries may share one path). */
function orphanShas(
  ids: readonly string[],
  lock: LockFile,
  fromLock: (output: string) => string,
): Map<string, Set<string>> {
  const by = new Map<string, Set<string>>();
  for (const id of ids) {
    const entry = lock.nodes[id];
    if (!entry) continue;
    const path = fromLock(entry.output);
    by.set(path, (by.get(path) ?? new Set()).add(entry.output_sha256));
  }
  return by;
}

/**
 * The outputs named by the other lock files of the project, beside the recipe's or in another
 * folder (shared-outputs.ts): another recipe's, never an orphan of this one (nor a file kontext did not make).
 */
export async function outputsClaimedElsewhere(at: LockScope): Promise<ReadonlySet<string>> {
  return new Set((await otherLockOutputs(at, 'all')).keys());
}

/** Walk `scope.outDir` (nothing when it is missing or a symlink) and sort its files. */
export async function scanOutDir(scope: CleanScope): Promise<CleanScan> {
  const real = await lstat(scope.outDir)
    .then(async (s) => (s.isDirectory() ? realpath(scope.outDir) : null))
    .catch(ifGone(null));
  const w: Walk = {
    ...scope,
    realOut: real ?? '',
    skip: new Set(reportAssetDirs(scope.outDir)),
    claimedAs: claimedSpellings(scope.claimed),
  };
  const found: CleanScan = { files: [], dirs: [], kept: [], stillInOut: (file) => staysInOut(file, w) };
  if (real !== null) await walk(scope.outDir, w, found);
  return found;
}

interface Walk extends CleanScope {
  readonly realOut: string;
  /** The report's image folders: every file in them is the report's. */
  readonly skip: ReadonlySet<string>;
  /** {@link CleanScope.claimed} by `foldPath`: the spellings of a name another case may open. */
  readonly claimedAs: ReadonlyMap<string, readonly string[]>;
}

function claimedSpellings(claimed: ReadonlySet<string>): ReadonlyMap<string, readonly string[]> {
  const by = new Map<string, string[]>();
  for (const file of claimed) {
    const key = foldPath(file);
    const list = by.get(key);
    if (list === undefined) by.set(key, [file]);
    else list.push(file);
  }
  return by;
}

/**
 * `file` is a claimed file under another spelling on this file system: on macOS, Windows or
 * exFAT a source renamed `Photo.jpg` → `photo.jpg` makes the node `tint@photo`, whose output
 * `photo.png` is the very file the dropped entry `tint@Photo` names as `Photo.png`. Asked of the
 * disk (one device and inode, or a name that opens a file its folder does not list), so on
 * Linux, where the two names are two files, the dropped entry's file still goes.
 */
async function claimedElsewise(file: string, w: Walk): Promise<boolean> {
  const spellings = w.claimedAs.get(foldPath(file));
  if (spellings === undefined) return false;
  const found = await lstat(file).catch(() => null);
  if (found === null) return false;
  for (const other of spellings) {
    const same = await lstat(other).catch(() => null);
    if (same === null) continue;
    if (same.dev === found.dev && same.ino === found.ino) return true;
    // FUSE (exFAT on Linux) numbers a file by the name it was looked up by: the other spelling
    // opens this file when its folder lists no entry of that name.
    const names = await readdir(dirname(other)).catch(() => null);
    if (names !== null && !names.includes(basename(other))) return true;
  }
  return false;
}

/**
 * Returns whether `dir` would be empty afterwards. A folder goes in `dirs` only when it would be
 * empty and something inside it is removed: a folder the user left empty stays.
 */
async function walk(dir: string, w: Walk, found: CleanScan): Promise<{ empty: boolean; removesSome: boolean }> {
  let empty = true;
  let removesSome = false;
  // Gone since its parent was listed (a clean removed it; a run may make it again): nothing in it.
  const entries = await readdir(dir, { withFileTypes: true }).catch(ifGone([]));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (w.skip.has(path)) {
        empty = false;
        continue;
      }
      const sub = await walk(path, w, found);
      empty &&= sub.empty && sub.removesSome;
      removesSome ||= sub.removesSome;
      continue;
    }
    const verdict = e.isFile() ? await judge(path, w) : 'kept';
    if (verdict === 'remove') {
      found.files.push(path);
      removesSome = true;
      continue;
    }
    empty = false;
    if (verdict === 'kept' && !e.name.startsWith('.')) found.kept.push(path);
  }
  if (empty && removesSome) found.dirs.push(dir);
  return { empty, removesSome };
}

/** `remove`; `kept` (not kontext's, reported); `ours` (kontext's and still wanted, not reported). */
async function judge(file: string, w: Walk): Promise<'remove' | 'kept' | 'ours'> {
  if (w.claimed.has(file) || isReportFile(w.outDir, file)) return 'ours'; // `kontext report` output
  if (await claimedElsewise(file, w)) return 'ours';
  const temp = TEMP.exec(basename(file));
  if (temp !== null) {
    const target = join(dirname(file), temp[1] as string);
    if (!w.claimed.has(target) && !w.orphanOutputs.has(target) && !isLayout(w.outDir, target)) return 'kept';
    // A write may be in progress, unless the temp is a day old or its writer is dead; a temp
    // renamed or removed since the listing is no file at all.
    const info = await lstat(file).catch(ifGone(null));
    if (info === null || !isStaleTemp(basename(file), info.mtimeMs, w.now)) return 'ours';
    return (await staysInOut(file, w)) ? 'remove' : 'kept';
  }
  const dropped = w.orphanOutputs.get(file);
  if (dropped === undefined) {
    if (!isLayout(w.outDir, file)) return 'kept';
    if (w.currentStems.has(stem(file))) return 'ours'; // a current node's output in another format
  }
  const read = await sha256Of(file);
  if (read === null) return 'kept';
  // A git LFS pointer (a checkout without git-lfs) stands for the bytes its oid names.
  const oid = read.head === null ? null : (parseLfsPointer(read.head)?.oid ?? null);
  // A dropped entry's file only with that entry's bytes: other bytes the cache knows may be the
  // live output of a recipe sharing the folder whose lock clean cannot see (walk-ag 1).
  const knows = async (sha: string): Promise<boolean> => (dropped === undefined ? w.knownBytes(sha) : dropped.has(sha));
  const known = (await knows(read.sha)) || (oid !== null && (await knows(oid)));
  return known && (await staysInOut(file, w)) ? 'remove' : 'kept';
}

/** `<out>/<pass>/<name>.<ext>`, with a pass id's and an output name's characters. */
function isLayout(outDir: string, file: string): boolean {
  const parts = relative(outDir, file).split(sep);
  return parts.length === 2 && NAME_PATTERN.test(parts[0] as string) && LAYOUT_NAME.test(parts[1] as string);
}

/**
 * The file is really where the walk found it (no folder on the way swapped for a symlink since),
 * and the write guard lets kontext change it: inside the project, not `.git`, a lock, the recipe,
 * a source or the cache.
 */
async function staysInOut(file: string, w: Walk): Promise<boolean> {
  try {
    const real = await checkWriteTarget(file, w.guard);
    return real === join(w.realOut, relative(w.outDir, file));
  } catch {
    return false;
  }
}

/**
 * sha256 of a regular file, not following a symlink at its name, and its bytes when it is small
 * enough to be a git LFS pointer (read through the same handle); null when it cannot be read.
 */
async function sha256Of(file: string): Promise<{ readonly sha: string; readonly head: Buffer | null } | null> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    // O_NONBLOCK: a FIFO in out/ must not hold the open up for ever (a regular file reads the same).
    handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let size = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size <= LFS_POINTER_MAX_BYTES) head.push(chunk as Buffer);
    }
    return { sha: hash.digest('hex'), head: size <= LFS_POINTER_MAX_BYTES ? Buffer.concat(head) : null };
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** For a `catch`: `value` when the path is gone (ENOENT, or a folder on it replaced by a file), else rethrow. */
function ifGone<T>(value: T): (e: unknown) => T {
  return (e) => {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return value;
    throw e;
  };
}

function stem(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}
