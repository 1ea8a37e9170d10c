/** What `kontext status` reports (status.ts): per node, per orphan, per recipe. */
import type { RunReason } from './events.js';
import type { ClaimVerdict } from './submit-claim.js';
import type { LockConflictReport } from './lock-resolve.js';
import type { DriftOver } from './drift.js';
import type { LegacyMove } from './legacy-moves.js';

export type NodeStatusState = 'up-to-date' | 'will-run' | 'modified' | 'missing' | 'remote';

export interface NodeStatus {
  readonly node: string;
  readonly pass: string;
  readonly state: NodeStatusState;
  /** Why it will run (`will-run` only). */
  readonly reason: RunReason | null;
  /** The output file (absolute), when known: from the lock or the cache record. */
  readonly output: string | null;
  /**
   * `missing` (the file is gone, or holds the lock's earlier result): the cache holds the output,
   * so a run restores it without a request.
   */
  readonly restorable: boolean;
  /** Over its pass's `max_change`, by the cached record's review (none yet: `null`). */
  readonly drift: DriftOver | null;
  /**
   * `will-run` with a journal entry of its request (`reason: 'reattach'`): what the run's claim
   * does with it (submit-claim.ts): `attach` or `wait` (no charge), `uncertain` (a dead run's
   * submit of unknown outcome: the run stops the node, exit 75, unless `--resubmit-uncertain`),
   * `take-over` (submitted again).
   */
  readonly claim?: ClaimVerdict;
  /** With `claim: take-over`: the earlier run's submit was refused by the API (nothing was paid). */
  readonly submit_refused?: true;
  /**
   * `modified` by a git LFS pointer (a checkout without git-lfs): `git lfs pull` fetches the
   * image. One to the lock's output of this very request is never paid for again, `--overwrite`
   * or not; with the image in a cache the node is `missing` instead (a run restores it).
   */
  readonly lfs_pointer?: true;
  /**
   * `will-run`, `missing` or `remote`, but below a node the run stops at before it pays (its output
   * changed by hand or a git LFS pointer, a dead run's submit of unknown outcome): that node's id.
   * The next run skips this one (runs, restores or downloads nothing); it does once that node is fixed.
   */
  readonly stopped_by?: string;
  /**
   * A branch a `pick:` leaves out (`RecipeStatus.pickedOut`), whose file holds other bytes than its
   * lock entry: `missing` (kontext's bytes; `restorable` when the cache holds the lock's) or `modified`.
   */
  readonly picked_out?: true;
}

export interface OrphanStatus {
  /** The node id, when the lock names it (`null`: an output file no node of the recipe writes). */
  readonly node: string | null;
  /** Absolute path of its output file, if known. */
  readonly output: string | null;
  readonly inLock: boolean;
  readonly exists: boolean;
}

export interface RecipeStatus {
  readonly recipe: string;
  readonly lock: string;
  /** Every node of the recipe, topological order. */
  readonly nodes: readonly NodeStatus[];
  readonly orphaned: readonly OrphanStatus[];
  /**
   * Branches a `pick:` leaves out whose output (or `save:` copy) differs from the lock (picked-out.ts):
   * a run restores kontext's bytes there from the cache (when it holds the lock's), and keeps a hand edit.
   */
  readonly pickedOut: readonly NodeStatus[];
  /**
   * Outputs an older kontext wrote at `<out>/<node-id>.<ext>` that a run moves to their current
   * names, rewriting their lock entries (legacy-moves.ts): nothing is paid, but the tree changes.
   */
  readonly toMove: readonly LegacyMove[];
  /** Files under `<out>/` kontext did not make (or cannot show it made): `kontext clean` keeps them. */
  readonly kept: readonly string[];
  /**
   * The lock has git conflict markers: how `kontext run` will merge it (lock-resolve.ts); the
   * rest of the status is that merged lock's. Null when the lock has none.
   */
  readonly lockConflict: (LockConflictReport & { readonly message: string }) | null;
  /**
   * Lock files beside this one whose recipe is gone (a renamed recipe's old lock, stray-locks.ts):
   * new nodes may take their seeds from them. Absolute paths; they make the status no less clean.
   */
  readonly strayLocks: readonly string[];
  /**
   * Something would run (a conflicted lock is rewritten), or an output is modified, missing,
   * only in the remote cache, or to move to the current layout, a picked-out branch's too
   * (orphans do not count).
   */
  readonly dirty: boolean;
  /**
   * The requests a run would pay for, counted as `--dry-run` counts them (prepare.ts): one per
   * distinct request; a re-attach to a journaled request, and the nodes a run stops at an output
   * changed by hand (and below it), pay nothing.
   */
  readonly billable: number;
}
