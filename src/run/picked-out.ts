/**
 * The branches a `pick:` leaves out (plan/unpicked.ts) keep their lock entries and outputs, so
 * picking them again is free, and no run runs them. Their files are still the ones the lock
 * records: one holding other bytes (a run killed between writing it and rewriting its lock entry,
 * while a pick changed the recipe: walk-z 4; an out/ folder git does not track, under a lock
 * checked out from another branch) is said by `kontext status` and the report, and a run puts the
 * lock's bytes back from the cache, never paying. The bytes it replaces are kontext's (bytes
 * kontext wrote at that very path: store/written.ts), so nothing is lost; anything else (another
 * variant's output copied there by hand included, as hand-edits.ts has it) is a hand edit, left as
 * it is unless `--overwrite`. A file that is gone, or a git LFS pointer to the lock's bytes, is no
 * difference: picking the branch again restores it. A picked-out entry naming a file a node of the
 * plan writes (its output or `save:` copy, by any extension: a hand-edited or merged lock) is not
 * this branch's to say or restore: the node's own checks own that file.
 */
import { lstatSync } from 'node:fs';
import { dirname, extname, relative } from 'node:path';
import { buildPlan, withoutPicks } from '../plan/index.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { Recipe } from '../recipe/types.js';
import { verifyBlobCopy } from '../store/blobs.js';
import { copyFileSafely } from '../store/safe-write.js';
import type { LockFile, LockEntry, Store } from '../store/types.js';
import type { WriteGuard } from '../store/write-guard.js';
import { foldPath } from '../util/fold-path.js';
import { lfsPointerAt } from '../util/lfs-pointer.js';
import { saveCopyPath } from '../util/save-template.js';
import { outputPathFor } from '../plan/output-path.js';
import { lockedTargets } from './hand-edits.js';
import type { NodeStatus } from './status.js';

/** A file of a picked-out node (its output or `save:` copy) holding other bytes than its lock entry's. */
export interface PickedOutFile {
  readonly node: PlanNode;
  readonly locked: LockEntry;
  /** Absolute path of the file. */
  readonly path: string;
  /** The file's bytes when looked at. */
  readonly sha256: string;
  /** Bytes kontext wrote at this very path (store/written.ts): replaceable. */
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
  const lockDir = dirname(at.lockPath);
  const planned = plannedStems(plan, at.lock, lockDir);
  for (const { node, locked } of pickedOutNodes(recipe, plan, at.lock)) {
    for (const path of lockedTargets(node, locked, lockDir)) {
      if (planned.has(stemOf(path))) continue;
      if (!isPlainFile(path) || lfsPointerAt(path)?.oid === locked.output_sha256) continue;
      const sha256 = await store.hashSource(path).then(
        (h) => h.sha256,
        () => null, // unreadable: nothing to say of its bytes, nor a run to replace
      );
      if (sha256 === null || sha256 === locked.output_sha256) continue;
      const ours = store.written.has(path, sha256) || (await store.written.recorded(node.id, sha256));
      found.push({ node, locked, path, sha256, ours, restorable: await store.hasBlob(locked.output_sha256) });
    }
  }
  return found;
}

/** A picked-out file that differs from the lock, as status says it: kontext's bytes a run replaces, or a hand edit. */
export function pickedOutStatus(f: PickedOutFile): NodeStatus {
  const { node } = f;
  const state = f.ours ? ('missing' as const) : ('modified' as const);
  const base = { node: node.id, pass: node.pass, reason: null, drift: null, picked_out: true as const };
  return { ...base, state, output: f.path, restorable: f.ours && f.restorable };
}

/**
 * A run's part: each differing file the cache can restore, replaced by the lock's bytes (through a
 * temp file and a rename, checked against the blob, under the run's write guard) when they are
 * kontext's or with `overwrite`. Returns the files restored and those left as they are.
 */
export async function restorePickedOut(
  files: readonly PickedOutFile[],
  at: { readonly store: Store; readonly guard: WriteGuard; readonly overwrite: boolean },
): Promise<{ readonly restored: PickedOutFile[]; readonly left: PickedOutFile[] }> {
  const restored: PickedOutFile[] = [];
  const left: PickedOutFile[] = [];
  for (const file of files) {
    if (!file.restorable || !(file.ours || at.overwrite)) {
      left.push(file);
      continue;
    }
    // Looked at again right before: a save made since the look is the user's, not replaced.
    const now = await at.store.hashSource(file.path).then(
      (h) => h.sha256,
      () => null,
    );
    if (now !== file.sha256) {
      left.push(file);
      continue;
    }
    const sha = file.locked.output_sha256;
    const blob = at.store.blobPath(sha);
    await copyFileSafely(blob, file.path, at.guard, true, { verify: (copy) => verifyBlobCopy(blob, copy) });
    at.store.written.note(file.path, sha);
    restored.push(file);
  }
  return { restored, left };
}

/**
 * What a run does with the picked-out files (after its own nodes): restores those it may, and
 * says so in one notice; those it leaves (a hand edit, the lock's bytes in no cache) in one warning.
 */
export async function settlePickedOut(
  recipe: Recipe,
  plan: Plan,
  at: Parameters<typeof pickedOutFiles>[2] & Omit<Parameters<typeof restorePickedOut>[1], 'store'>,
): Promise<{ readonly notice: string | null; readonly warning: string | null }> {
  let settled: Awaited<ReturnType<typeof restorePickedOut>>;
  try {
    const files = await pickedOutFiles(recipe, plan, at);
    if (files.length === 0) return { notice: null, warning: null };
    settled = await restorePickedOut(files, at);
  } catch (e) {
    // The run's own nodes are done: a file it cannot restore here (a full disk) is said, not its failure.
    const why = e instanceof Error ? e.message : String(e);
    return { notice: null, warning: `the outputs of a branch a pick leaves out were not restored: ${why}` };
  }
  const { left } = settled;
  const ours = settled.restored.filter((f) => f.ours);
  const overwritten = settled.restored.filter((f) => !f.ours);
  const named = (list: readonly PickedOutFile[]): string =>
    list.map((f) => `${f.node.id} (${relative(recipe.dir, f.path)})`).join(', ');
  const notice =
    ours.length === 0
      ? null
      : `restored from the cache the lock's output${ours.length === 1 ? '' : 's'} of ` +
        `${named(ours)}, a branch its pick leaves out: the file held other bytes kontext made; nothing was paid`;
  const warnings = [
    overwritten.length === 0
      ? null
      : `${named(overwritten)}: a branch its pick leaves out, whose file was changed by hand, ` +
        "replaced with the lock's output from the cache (--overwrite)",
    left.length === 0
      ? null
      : `${named(left)}: a branch its pick leaves out, whose file holds other bytes than the lock records, ` +
        `left as it is (${left.some((f) => !f.restorable) ? "the lock's output is in no cache; " : ''}` +
        'a file changed by hand, or saved meanwhile, is replaced only with --overwrite); picking it again settles it',
  ].filter((w): w is string => w !== null);
  return { notice, warning: warnings.length === 0 ? null : warnings.join('; ') };
}

/**
 * What a run would do with the picked-out files, for `--dry-run` (which restores nothing): one
 * line naming those it would restore, replace (`overwrite`) or leave; null when none differ.
 */
export async function pickedOutPreview(
  recipe: Recipe,
  plan: Plan,
  at: Parameters<typeof pickedOutFiles>[2] & { readonly overwrite: boolean },
): Promise<string | null> {
  const files = await pickedOutFiles(recipe, plan, at);
  if (files.length === 0) return null;
  const named = (list: readonly PickedOutFile[]): string =>
    list.map((f) => `${f.node.id} (${relative(recipe.dir, f.path)})`).join(', ');
  const restore = files.filter((f) => f.restorable && f.ours);
  const replace = files.filter((f) => f.restorable && !f.ours && at.overwrite);
  const leave = files.filter((f) => !restore.includes(f) && !replace.includes(f));
  const parts = [
    restore.length === 0 ? null : `would restore from the cache ${named(restore)}`,
    replace.length === 0 ? null : `would replace the hand edit${replace.length === 1 ? '' : 's'} ${named(replace)}`,
    leave.length === 0
      ? null
      : `would leave ${named(leave)} (${leave.some((f) => !f.restorable) ? "the lock's output in no cache, or " : ''}` +
        'changed by hand: --overwrite replaces it)',
  ].filter((p): p is string => p !== null);
  return `branches a pick leaves out whose files are not the lock's: a run ${parts.join('; ')}; nothing is paid`;
}

/** A regular file, not followed through a symlink (one there is neither the lock's bytes nor replaced). */
function isPlainFile(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** A path without its extension, folded as names on a case-insensitive disk compare. */
function stemOf(path: string): string {
  return foldPath(path.slice(0, path.length - extname(path).length));
}

/** The files the plan's nodes write, by stem: their outputs (planned and locked) and `save:` copies. */
function plannedStems(plan: Plan, lock: LockFile, lockDir: string): Set<string> {
  const stems = new Set<string>();
  for (const node of plan.nodes) {
    stems.add(stemOf(outputPathFor(plan, node, 'x')));
    const saved = saveCopyPath(node.save, 'x');
    if (saved !== null) stems.add(stemOf(saved));
    const locked = Object.hasOwn(lock.nodes, node.id) ? lock.nodes[node.id] : undefined;
    for (const path of lockedTargets(node, locked, lockDir)) stems.add(stemOf(path));
  }
  return stems;
}
