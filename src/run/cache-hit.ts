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
  const changed = locked?.output_sha256 !== hit.output_sha256;
  const { hash: hashSource, wroteHere } = storeCheck(store);
  const hash = hashingOnce(hashSource);
  const targets = outputTargets(outDir, node, hit.ext);
  const differs = await checkTargets(targets, {
    blobSha: hit.output_sha256,
    locked,
    overwrite: at.overwrite,
    lockless: at.lockPath === null,
    hash,
    wroteHere,
  });
  return writeOutputs(store.blobPath(hit.output_sha256), {
    outDir,
    node,
    ext: hit.ext,
    save: node.save,
    rewrite: changed || differs,
    guard: at.guard,
    check: { sha256: hit.output_sha256, hash },
    onWritten: (path) => store.written.note(path, hit.output_sha256),
  });
}
