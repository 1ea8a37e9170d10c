/**
 * The branches a `pick:` leaves out (plan/unpicked.ts) keep their lock entries and outputs, so
 * picking them again is free, and no run runs them. Their files are still the ones the lock
 * records: one holding other bytes (a run killed between writing it and rewriting its lock entry,
 * while a pick changed the recipe: walk-z 4; an out/ folder git does not track, under a lock
 * checked out from another branch) is said by `kontext status` and the report: kontext's bytes (a
 * blob the cache holds, or bytes kontext wrote at that path: store/written.ts) apart from a hand
 * edit. A file that is gone, or a git LFS pointer to the lock's bytes, is no difference: picking
 * the branch again restores it.
 */
import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildPlan, withoutPicks } from '../plan/index.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import type { LockFile, LockEntry, Store } from '../store/types.js';
import { lfsPointerAt } from '../util/lfs-pointer.js';
import { lockedTargets } from './hand-edits.js';

/** A file of a picked-out node (its output or `save:` copy) holding other bytes than its lock entry's. */
export interface PickedOutFile {
  readonly node: PlanNode;
  readonly locked: LockEntry;
  /** Absolute path of the file. */
  readonly path: string;
  /** The bytes kontext made (a blob in the cache, or written at this path by kontext): replaceable. */
  readonly ours: boolean;
  /** The cache holds the lock's bytes: a run restores them without a request. */
  readonly restorable: boolean;
}

/** The nodes of `plan`'s recipe without its picks that `plan` has not, with their lock entries. */
function pickedOutNodes(
  recipe: Recipe,
  plan: Plan,
  lock: LockFile,
): { readonly node: PlanNode; readonly locked: LockEntry }[] {
  const unpicked = withoutPicks(recipe);
  if (unpicked === recipe) return [];
  const inPlan = new Set(plan.nodes.map((n) => n.id));
  return buildPlan(unpicked).nodes.flatMap((node) => {
    const locked = Object.hasOwn(lock.nodes, node.id) ? lock.nodes[node.id] : undefined;
    return inPlan.has(node.id) || locked === undefined ? [] : [{ node, locked }];
  });
}

/** The picked-out files that differ from the lock (reads only). */
export async function pickedOutFiles(
  recipe: Recipe,
  plan: Plan,
  at: { readonly lock: LockFile; readonly lockPath: string; readonly store: Store },
): Promise<PickedOutFile[]> {
  const { store } = at;
  const found: PickedOutFile[] = [];
  for (const { node, locked } of pickedOutNodes(recipe, plan, at.lock)) {
    for (const path of lockedTargets(node, locked, dirname(at.lockPath))) {
      if (!isPlainFile(path) || lfsPointerAt(path)?.oid === locked.output_sha256) continue;
      const sha256 = await store.hashSource(path).then(
        (h) => h.sha256,
        () => null, // unreadable: nothing to say of its bytes, nor a run to replace
      );
      if (sha256 === null || sha256 === locked.output_sha256) continue;
      const ours = store.written.has(path, sha256) || (await store.hasBlob(sha256));
      found.push({ node, locked, path, ours, restorable: await store.hasBlob(locked.output_sha256) });
    }
  }
  return found;
}

/** A regular file, not followed through a symlink (one there is neither the lock's bytes nor replaced). */
function isPlainFile(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}
