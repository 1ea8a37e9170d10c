/**
 * A cache hit's files (docs/architecture.md#cache-lock-and-journal): a legacy output moved to
 * its current name, every target checked for hand edits, then missing or different targets
 * copied from the blob. Each file is hashed once (the hand-edit check and the copy-out check
 * share the answer; the hash memo keys on size, mtime and inode, so that is a stat).
 */
import { dirname } from 'node:path';
import { outputPathFor } from '../plan/index.js';
import type { PlanNode } from '../plan/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import type { LockEntry, RunRecord, Store } from '../store/types.js';
import { moveLegacyOutput } from './adopt.js';
import { checkTargets, hashingOnce, outputTargets, storeCheck } from './hand-edits.js';
import { writeOutputs } from './outputs.js';

export interface HitFiles {
  readonly store: Store;
  readonly lockPath: string | null;
  readonly outDir: string;
  /** The node's lock entry, if any. */
  readonly locked: LockEntry | undefined;
  /** `--overwrite` (for `kontext edit` too: no lock, the marker rule alone, hand-edits.ts). */
  readonly overwrite: boolean;
  readonly guard: WriteGuard | undefined;
}

/** Put a cache hit's output (and `save:` copy) in place; throws HandEditedOutputError for a changed file. */
export async function materializeHit(
  node: PlanNode,
  hit: RunRecord,
  at: HitFiles,
): Promise<{ readonly output: string; readonly restored: boolean }> {
  const { store, locked, outDir } = at;
  if (at.lockPath !== null) {
    const paths = { lockDir: dirname(at.lockPath), outDir, output: outputPathFor(outDir, node, hit.ext) };
    await moveLegacyOutput(node, locked, paths, store);
  }
  // An existing file is kept only if it hashes to the blob (memoized by size, mtime and inode).
  // Rewritten unread only when the lock names other bytes; without an entry (an edit, a node new
  // to the lock) nothing says the files changed, so a file already holding the blob is left alone.
  const changed = locked !== undefined && locked.output_sha256 !== hit.output_sha256;
  const { hash: hashSource, wroteHere, recorded } = storeCheck(store, node.id);
  const hash = hashingOnce(hashSource);
  const targets = outputTargets(outDir, node, hit.ext);
  const differs = await checkTargets(targets, {
    blobSha: hit.output_sha256,
    locked,
    overwrite: at.overwrite,
    lockless: at.lockPath === null,
    hash,
    wroteHere,
    recorded,
  });
  const sha = hit.output_sha256;
  const written = new Set<string>();
  const out = await writeOutputs(store.blobPath(sha), {
    outDir,
    node,
    ext: hit.ext,
    save: node.save,
    rewrite: changed || differs,
    guard: at.guard,
    check: { sha256: sha, hash },
    onWritten: (path) => {
      written.add(path);
      store.written.note(path, sha);
    },
  });
  // A file left as it was keeps kontext's marker of writing it there fresh (gc prunes markers by
  // age), as the rewrite did; one kontext never wrote there gets none.
  for (const path of targets) if (!written.has(path) && store.written.has(path, sha)) store.written.note(path, sha);
  return out;
}
