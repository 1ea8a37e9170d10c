/**
 * `kontext merge-lock %O %A %B %P`: a git merge driver for lock files (`.gitattributes`:
 * `*.lock.json merge=kontext`; docs/ci.md). Three-way per node (store/lock-merge.ts): a node
 * changed on one side takes it, one changed differently on both goes to the side whose output
 * the file in the work tree holds (`%P` says where the lock is; its outputs are relative to it),
 * else whose blob the local cache holds, else ours. The merge replaces `%A`, as git asks, durably
 * (temp, fsync, rename, folder fsync: store/atomic.ts). A file
 * that is not a lock (a base with markers, say) is exit 65 and `%A` is left alone: git then
 * reports the conflict as usual, and `kontext run` resolves the markers later.
 */
import { access } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { sweepDeadTempsOnce, writeFileAtomic } from '../store/atomic.js';
import { resolveCacheDir } from '../store/cache-dir.js';
import { isCode } from '../store/errno.js';
import { LockFileError } from '../store/errors.js';
import { layout } from '../store/layout.js';
import { parseLock } from '../store/lock-file.js';
import { LockFormatter } from '../store/lock-format.js';
import { type LockMergeRule, mergeLockThreeWay } from '../store/lock-merge.js';
import { createSourceHashMemo } from '../store/source-hash.js';
import type { LockFile } from '../store/types.js';
import type { Runtime } from '../runtime.js';
import { writeFailure } from '../store/write-errors.js';
import { isBoundedReadError, READ_CAPS, readBoundedText } from '../util/read-bounded.js';

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

/** Merge the three files into `ours`; the one line to show. */
export async function mergeLockFiles(options: MergeLockFilesOptions, rt: Runtime): Promise<string> {
  const cacheDir = resolveCacheDir({ flag: options.cacheDir, env: rt.env, cwd: rt.cwd });
  const o = { ...options, cacheDir, cwd: rt.cwd, now: rt.now };
  const name = o.lockPath ?? basename(o.ours);
  const [base, ours, theirs] = [
    await readSide(o.base, `${name} (base)`),
    await readSide(o.ours, `${name} (ours)`),
    await readSide(o.theirs, `${name} (theirs)`),
  ];
  const lockDir = o.lockPath === undefined ? null : dirname(resolve(o.cwd, o.lockPath));
  const memo = createSourceHashMemo(o.cacheDir, o.now);
  const merged = await mergeLockThreeWay(
    base,
    { ours, theirs },
    {
      outputHolds: async (entry) => {
        if (lockDir === null) return false;
        const file = resolve(lockDir, entry.output);
        // Only files of this work tree, outside .git: a lock from someone else names the paths.
        const rel = relative(o.cwd, file);
        if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('.git')) return false;
        return (await memo.hash(file).catch(() => null))?.sha256 === entry.output_sha256;
      },
      cacheHolds: (sha256) =>
        access(layout.blob(o.cacheDir, sha256)).then(
          () => true,
          () => false,
        ),
    },
  );
  // As every lock write: a temp beside %A, fsynced, renamed, the folder fsynced (a kill -9 or a
  // power cut leaves git the old file or the merge, never half of it).
  const beforeRename = (): void => rt.crashPoint?.('merge-lock-temp-written');
  await sweepDeadTempsOnce(dirname(o.ours)); // the temp of an attempt killed before its rename
  await writeFileAtomic(o.ours, new LockFormatter().pieces(merged.lock.nodes), { durable: true, beforeRename }).catch(
    (e: unknown) => {
      throw writeFailure(e, o.ours, 'it is unchanged, and git reports the conflict as usual');
    },
  );
  const counts: Record<LockMergeRule, number> = { same: 0, 'one-side': 0, file: 0, save: 0, cache: 0, ours: 0 };
  for (const rule of merged.rules.values()) counts[rule]++;
  const decided = [...merged.rules].filter(([, r]) => r === 'file' || r === 'cache' || r === 'ours');
  const words = [
    `${counts.same} alike`,
    `${counts['one-side']} changed on one side`,
    ...(merged.removed.length > 0 ? [`${merged.removed.length} removed on one side`] : []),
    ...decided.map(([id, r]) => `${id}: ${r === 'ours' ? 'ours' : `by the ${r === 'file' ? 'output file' : 'cache'}`}`),
  ];
  return `${name}: merged ${merged.rules.size} entries (${words.join(', ')})`;
}

async function readSide(path: string, label: string): Promise<LockFile> {
  let text: string;
  try {
    text = await readBoundedText(path, READ_CAPS.lock);
  } catch (e) {
    if (isCode(e, 'ENOENT')) return { version: 1, nodes: {} };
    if (isBoundedReadError(e)) throw new LockFileError(`${label}: ${e.message}`, { cause: e });
    throw e;
  }
  // An empty base: both sides added the file.
  return text.trim() === '' ? { version: 1, nodes: {} } : parseLock(text, label);
}
