/**
 * `kontext merge-lock %O %A %B %P`: a git merge driver for lock files (`.gitattributes`:
 * `*.lock.json merge=kontext`; docs/ci.md). Three-way per node (store/lock-merge.ts): a node
 * changed on one side takes it, one changed differently on both goes to the side whose output
 * the file in the work tree holds (`%P` says where the lock is; its outputs are relative to it),
 * else whose blob the local cache holds, else ours. Such a node is left conflicted instead (its
 * two entries in a conflict hunk, exit 1: git reports the conflict) when the driver cannot know
 * the answer: the two entries ask different requests (`request_sha256`: which one the merged
 * recipe asks is `kontext run`'s to say, lock-asks.ts) or git tracks its output file (git merges
 * it too, so the work tree holds ours: the run decides once out/ is resolved, by the file then).
 * The merge replaces `%A`, as git asks, durably
 * (temp, fsync, rename, folder fsync: store/lock-write.ts). A base with git conflict markers (the
 * merge bases' own merge, made as text) gives the entries its sides agree on; the rest goes by
 * the truth. A file that is not a lock (ours or theirs with markers, say) is exit 65 and `%A` is
 * left alone: git then reports the conflict as usual, and `kontext run` resolves it later.
 */
import { access, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { resolveCacheDir } from '../store/cache-dir.js';
import { canonicalJson } from '../store/canonical-json.js';
import { isCode } from '../store/errno.js';
import { LockFileError } from '../store/errors.js';
import { layout } from '../store/layout.js';
import { hasConflictMarkers, parseConflictedLock } from '../store/lock-conflict.js';
import { parseLock } from '../store/lock-file.js';
import { mergeLockThreeWay, ruleCounts } from '../store/lock-merge.js';
import { formatLockWithConflicts } from '../store/lock-markers.js';
import { createSourceHashMemo } from '../store/source-hash.js';
import type { LockEntry, LockFile } from '../store/types.js';
import type { Runtime } from '../runtime.js';
import { writeLockDurably } from '../store/lock-write.js';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { holdsBytes } from '../util/lfs-pointer.js';

export interface MergeLockFilesOptions {
  /** git's `%O`, `%A` (ours; the merge is written here) and `%B`. */
  readonly base: string;
  readonly ours: string;
  readonly theirs: string;
  /** git's `%P`: the lock's path in the work tree (relative to `cwd`); without it no file decides. */
  readonly lockPath?: string | undefined;
  /** `--cache-dir`; by default the one `kontext run` uses here. */
  readonly cacheDir?: string | undefined;
}

export interface MergeLockResult {
  /** The one line to show. */
  readonly message: string;
  /** Nodes left conflicted in `ours` (git then reports the conflict; `kontext run` decides them). */
  readonly conflicted: readonly string[];
}

/** Merge the three files into `ours`. */
export async function mergeLockFiles(options: MergeLockFilesOptions, rt: Runtime): Promise<MergeLockResult> {
  const cacheDir = resolveCacheDir({ flag: options.cacheDir, env: rt.env, cwd: rt.cwd });
  // git's paths are relative to where it runs the driver: the runtime's cwd, not the process's
  // (a library caller's may differ), as %P and the cache dir are taken.
  const at = (path: string): string => resolve(rt.cwd, path);
  const files = { base: at(options.base), ours: at(options.ours), theirs: at(options.theirs) };
  const o = { ...options, ...files, cacheDir, cwd: rt.cwd, now: rt.now };
  const name = o.lockPath ?? basename(o.ours);
  // A side is named by the lock git merges (%P: its own files are temps), else by its own file.
  const label = (side: 'base' | 'ours' | 'theirs'): string => `${o.lockPath ?? basename(o[side])} (${side})`;
  const [{ base, unsure }, ours, theirs] = [
    await readBase(o.base, label('base')),
    await readSide(o.ours, label('ours')),
    await readSide(o.theirs, label('theirs')),
  ];
  const lockDir = o.lockPath === undefined ? null : dirname(resolve(o.cwd, o.lockPath));
  const memo = createSourceHashMemo(o.cacheDir, o.now);
  const tree = realpath(o.cwd).catch(() => null);
  const tracked = new Map<string, Promise<boolean>>();
  const isTracked = async (entry: LockEntry): Promise<boolean> => {
    if (lockDir === null) return false;
    const file = resolve(lockDir, entry.output);
    let known = tracked.get(file);
    if (known === undefined) {
      known = import('./git-tracked.js').then((g) => g.isTrackedByGit(o.cwd, file, rt.env));
      tracked.set(file, known);
    }
    return known;
  };
  const merged = await mergeLockThreeWay(
    base,
    { ours, theirs },
    {
      outputHolds: async (entry) => {
        if (lockDir === null) return false;
        const file = resolve(lockDir, entry.output);
        // Only files of this work tree, outside .git, where they really are: a lock from someone
        // else names the paths, and a link in the tree may lead anywhere (which side wins would
        // tell whether a file out there holds the bytes that side names).
        const [root, real] = [await tree, await realpath(file).catch(() => null)];
        if (root === null || real === null || !inTree(o.cwd, file) || !inTree(root, real)) return false;
        return holdsBytes(real, await memo.hash(real).catch(() => null), entry.output_sha256);
      },
      cacheHolds: (sha256) =>
        access(layout.blob(o.cacheDir, sha256)).then(
          () => true,
          () => false,
        ),
      // Two entries naming the same bytes at the same path (the same request paid twice) leave git
      // nothing to merge in that file: either one is true, decided as before.
      leave: async (_id, a, b) =>
        asksOther(a, b) ||
        ((a.output !== b.output || a.output_sha256 !== b.output_sha256) &&
          ((await isTracked(a)) || (a.output !== b.output && (await isTracked(b))))),
    },
    unsure,
  );
  // As every lock write (a kill -9 or a power cut leaves git the old file or the merge, never
  // half of it; an attempt killed before its rename leaves a temp the next one sweeps). No
  // mutex: %A is git's own temp file, which nothing else writes.
  const { left } = merged;
  await writeLockDurably(o.ours, merged.lock.nodes, {
    crashPoint: rt.crashPoint,
    points: { tempWritten: 'merge-lock-temp-written' },
    unchanged: 'it is unchanged, and git reports the conflict as usual',
    text: left.length === 0 ? undefined : formatLockWithConflicts(merged.lock.nodes, left, CONFLICT_LABELS),
  });
  const counts = ruleCounts(merged.rules.values());
  const decided = [...merged.rules].filter(([, r]) => r === 'file' || r === 'cache' || r === 'ours');
  const words = [
    `${counts.same} alike`,
    `${counts['one-side']} changed on one side`,
    ...(merged.removed.length > 0 ? [`${merged.removed.length} removed on one side`] : []),
    ...(unsure.size > 0 ? [`the base had git conflicts in ${unsure.size}`] : []),
    ...decided.map(([id, r]) => `${id}: ${r === 'ours' ? 'ours' : `by the ${r === 'file' ? 'output file' : 'cache'}`}`),
  ];
  const merge = `${name}: merged ${merged.rules.size} entries (${words.join(', ')})`;
  if (left.length === 0) return { message: merge, conflicted: [] };
  const ids = left.map((n) => n.id);
  const shown = ids.length > 8 ? [...ids.slice(0, 8), `and ${ids.length - 8} more`] : ids;
  return {
    message:
      `${merge}; left conflicted: ${shown.join(', ')} (each side's own request, or an output git merges ` +
      'too: resolve recipe and out/, then `kontext run` decides them)',
    conflicted: ids,
  };
}

/** The hunk labels of the nodes the driver leaves conflicted (`git checkout --ours/--theirs` name the same sides). */
const CONFLICT_LABELS = { ours: 'ours', theirs: 'theirs' } as const;

/** Whether the two entries say they ask different requests (entries without `request_sha256` do not say). */
function asksOther(a: LockEntry, b: LockEntry): boolean {
  return a.request_sha256 !== undefined && b.request_sha256 !== undefined && a.request_sha256 !== b.request_sha256;
}

/** Whether `file` lies below `root`, outside any `.git` folder. */
function inTree(root: string, file: string): boolean {
  const rel = relative(root, file);
  return !(rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('.git'));
}

/**
 * Ours or theirs: git always passes both as files, so a missing one is a mistyped path (read as
 * an empty lock, it would drop every entry of the other side and write that over `ours`).
 */
async function readSide(path: string, label: string): Promise<LockFile> {
  const text = await readText(path, label);
  if (text === null)
    throw new LockFileError(`${label}: ${path}: no such file`, {
      hint: 'git passes %O %A %B as three files that exist (only the base may be empty); check the paths',
    });
  return lockOf(text, label);
}

/**
 * The base. One with git conflict markers is the merge bases' own merge that git made as text
 * (a criss-cross history, `merge.kontext.recursive text`): the entries its two sides agree on
 * are the base; the others are `unsure`, so the sides' difference there goes by the truth.
 */
async function readBase(path: string, label: string): Promise<{ base: LockFile; unsure: ReadonlySet<string> }> {
  const text = (await readText(path, label)) ?? ''; // none: both sides added the file
  try {
    return { base: lockOf(text, label), unsure: new Set() };
  } catch (e) {
    const sides = hasConflictMarkers(text) ? parseConflictedLock(text, label, parseLock) : null;
    if (sides === null) throw e;
    const nodes: Record<string, LockEntry> = {};
    const unsure = new Set<string>();
    for (const id of new Set([...Object.keys(sides.ours.nodes), ...Object.keys(sides.theirs.nodes)])) {
      const [a, b] = [sides.ours.nodes[id], sides.theirs.nodes[id]];
      if (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b)) nodes[id] = a;
      else unsure.add(id);
    }
    return { base: { version: 1, nodes }, unsure };
  }
}

/** The file's text; `null` when there is none. */
async function readText(path: string, label: string): Promise<string | null> {
  try {
    return await readBoundedText(path, READ_CAPS.lock);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return null;
    if (isBoundedReadError(e)) throw new LockFileError(`${label}: ${e.message}`, { cause: e });
    throw e;
  }
}

function lockOf(text: string, label: string): LockFile {
  // An empty base: both sides added the file.
  return text.trim() === '' ? { version: 1, nodes: {} } : parseLock(text, label);
}
