/**
 * The lock and the output files are the truth; the cache only accelerates. A node whose key
 * equals its lock entry's and whose output file still has the entry's sha256 is up to date
 * without any cache: the file is adopted into the store (blob, plus a run record rebuilt from
 * the entry) so this run and downstream nodes hit. So a deleted cache, a fresh clone with its
 * lock and outputs, or a moved folder costs no request. Files are hashed through the store's
 * (path, size, mtime, inode) memo, so a re-run does not re-read them.
 *
 * Durability: an adopted blob and its rebuilt record are written atomically but not fsynced
 * (two fsyncs per node made adopting 1,000 outputs take half a minute). Nothing is lost that
 * the lock and out/ do not still hold: after a power cut a record may be missing or torn (it
 * reads as a miss) and a blob may be missing or short (its bytes no longer hash to its name, so
 * `checkBlob` drops it, and `verifyBlobCopy` checks every copy into out/), and the next run
 * adopts the node again, for no request. Downloaded outputs, which exist nowhere else, are
 * still fsynced (execute.ts).
 *
 * The blob is a copy, not a hard link to the out/ file: a link shares the inode, so a program
 * editing out/ in place would change the blob too; the store would then drop the blob as
 * damaged, and the hand-edited file no longer matches the lock, so the node would be paid for
 * again instead of simply restored from the cache. On Linux `copyFile` uses copy_file_range
 * (often a reflink), so the copy is cheap. It is written beside the blob and renamed into place
 * (synchronously: thousands come at once after a deleted cache, and a thread-pool round trip per
 * file cost more than the syscalls; a temp in the store's one `tmp/` folder also made that
 * folder's 10,000 creates and renames slow).
 */
import { saveCopyPath } from '../util/save-template.js';
import { rename, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { legacyOutputPathFor, outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import { withParentDir } from '../store/atomic.js';
import type { LockEntry, RunRecord, Store } from '../store/types.js';
import { resolvedParams } from './node-request.js';

const TYPE_BY_EXT: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

/** The media type an output file's extension stands for. */
export function mediaTypeForExt(ext: string): string {
  return (Object.hasOwn(TYPE_BY_EXT, ext) ? TYPE_BY_EXT[ext] : undefined) ?? 'application/octet-stream';
}

/** sha256 of the file at `path` (memoized), or null when it is missing or unreadable. */
async function fileSha(store: Store, path: string): Promise<string | null> {
  try {
    return (await store.hashSource(path)).sha256;
  } catch {
    return null;
  }
}

/** What adopting a node writes once its file is proven: that file, copied in as a blob, and the record. */
export interface Adoption {
  readonly file: string;
  readonly record: RunRecord;
  /** The cache still holds the record (with its `cost_usd` and review): only the blob is copied in. */
  readonly blobOnly?: true | undefined;
}

/**
 * Rebuild the cache entry for `key` from `entry` (the node's own lock entry, or the entry of a
 * renamed node it took its seed from) when the entry's output file still holds its bytes, or
 * else the node's `save:` copy does.
 * Given `outDir`, an entry naming the node's legacy output (`<out>/<node-id>.<ext>`) is also
 * adopted from the node's current output path: a run killed after moving the file there
 * (moveLegacyOutput) and before rewriting the entry left them apart.
 * Returns the record now in the store, or null (keys differ, file missing or changed).
 */
export async function adoptFromLock(
  node: PlanNode,
  key: string,
  entry: LockEntry,
  lockDir: string,
  store: Store,
  outDir?: string,
): Promise<RunRecord | null> {
  const adoption = await provenAdoption(node, key, entry, lockDir, store, outDir);
  if (adoption === null) return null;
  try {
    store.copyInBlob(adoption.file, entry.output_sha256); // synchronous and unsynced: rebuildable, see above
  } catch {
    return null;
  }
  await store.putRecord(adoption.record, { rebuildable: true });
  return adoption.record;
}

/**
 * Many adoptions at once (a run's lock-current nodes after a deleted cache): the blobs copied in
 * through `Store.copyInBlobs` (on a worker thread when there are many) while each record is
 * written here as soon as its blob has landed, never before it (a `blobOnly` one's record is
 * left as it is). Best effort, as each adoption is: one that fails is made again by a later run.
 */
export async function adoptAll(store: Store, adoptions: readonly Adoption[]): Promise<void> {
  const copies = adoptions.map(({ file, record }) => ({ path: file, sha256: record.output_sha256 }));
  for await (const landed of store.copyInBlobs(copies))
    for (const i of landed) {
      const { record, blobOnly } = adoptions[i]!;
      if (!blobOnly) await store.putRecord(record, { rebuildable: true }).catch(() => undefined);
    }
}

/**
 * What {@link adoptFromLock} would write for the node, checked as it checks (the keys equal, the
 * entry's bytes in its output file, a legacy output moved, or the `save:` copy), without writing
 * anything; null when the node cannot be adopted.
 */
export async function provenAdoption(
  node: PlanNode,
  key: string,
  entry: LockEntry,
  lockDir: string,
  store: Store,
  outDir?: string,
): Promise<Adoption | null> {
  if (entry.key !== key) return null;
  let file = resolve(lockDir, entry.output);
  const ext = extname(file).slice(1).toLowerCase();
  if (!/^[a-z0-9]{1,10}$/.test(ext)) return null;
  if ((await fileSha(store, file)) !== entry.output_sha256) {
    const moved = outDir === undefined ? null : movedLegacyOutput(node, file, outDir, extname(file).slice(1));
    // A clone that keeps only the `save:` copies (out/ ignored by git) still has the bytes.
    const saved = saveCopyPath(node.save, extname(file).slice(1));
    let found: string | null = null;
    for (const other of [moved, saved])
      if (found === null && other !== null && (await fileSha(store, other)) === entry.output_sha256) found = other;
    if (found === null) return null;
    file = found;
  }
  const record: RunRecord = {
    key,
    node: node.id,
    provider: entry.provider,
    model: entry.model,
    seed: entry.seed,
    input_sha256: entry.input_sha256,
    output_sha256: entry.output_sha256,
    media_type: mediaTypeForExt(ext),
    ext,
    request_id: entry.request_id,
    finished_at: entry.finished_at,
    prompt: node.prompt.normalize('NFC').trim(),
    params: resolvedParams(node),
  };
  return { file, record };
}

/** Where moveLegacyOutput puts the node's legacy output `file`, or null when `file` is not that. */
function movedLegacyOutput(node: PlanNode, file: string, outDir: string, ext: string): string | null {
  if (file !== legacyOutputPathFor(outDir, node.id, ext)) return null;
  const current = resolve(outputPathFor(outDir, node, ext));
  return current === file ? null : current;
}

/** Where a cache hit's files go: the lock's folder, the out folder, and the node's output path now. */
interface HitPaths {
  readonly lockDir: string;
  readonly outDir: string;
  readonly output: string;
}

/**
 * Older versions wrote `<out>/<node-id>.<ext>`. When the lock names that file for this node,
 * it still holds the locked bytes, and nothing is at the new path yet, move it there (the
 * caller then rewrites the lock entry). Anything else is left alone. Returns true when moved.
 */
export async function moveLegacyOutput(
  node: PlanNode,
  entry: LockEntry | undefined,
  paths: HitPaths,
  store: Store,
): Promise<boolean> {
  const old = await legacyOutputToMove(node, entry, paths, store);
  if (old === null) return false;
  try {
    await withParentDir(paths.output, () => rename(old, paths.output));
    return true;
  } catch {
    return false;
  }
}

/**
 * The file {@link moveLegacyOutput} would move for a cache hit of `node` (its lock entry's legacy
 * output), or null: what status and `--dry-run` say a run moves (legacy-moves.ts).
 */
export async function legacyOutputToMove(
  node: PlanNode,
  entry: LockEntry | undefined,
  paths: HitPaths,
  store: Store,
): Promise<string | null> {
  if (!entry) return null;
  const old = resolve(paths.lockDir, entry.output);
  const ext = extname(old).slice(1);
  if (old === paths.output || old !== legacyOutputPathFor(paths.outDir, node.id, ext)) return null;
  if ((await stat(paths.output).catch(() => null)) !== null) return null;
  return (await fileSha(store, old)) === entry.output_sha256 ? old : null;
}
