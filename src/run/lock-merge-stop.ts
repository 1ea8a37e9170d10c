/**
 * A conflicted lock whose merge took a node's entry by the recipe (lock-asks.ts: the side asking
 * what the merged recipe asks) while that side's result is nowhere this run can take it from: not
 * in the output file (git keeps ours in the work tree for a binary conflict), the local cache or
 * the remote. The run would pay again for what a branch paid for: it stops first, before writing
 * the merge (the lock stays conflicted, so the next run says the same), exit 65, naming the
 * files to resolve as the recipe was. `--force` on the node pays anyway.
 */
import { basename, dirname, resolve } from 'node:path';
import { ExitCode, KontextError } from '../errors.js';
import type { LockEntry, Store } from '../store/types.js';
import { holdsBytes } from '../util/lfs-pointer.js';
import type { ResolvedLock } from './lock-resolve.js';
import type { Prepared } from './prepare.js';

/** A node the merged recipe wants a branch's result for, which only that branch's out/ holds (exit 65). */
class MergedResultMissingError extends KontextError {
  override readonly name = 'MergedResultMissingError';
  /** The nodes, with the side whose result they want and its output file (relative to the lock's folder). */
  readonly nodes: readonly {
    readonly node: string;
    readonly side: 'ours' | 'theirs';
    readonly output: string;
    /** Below another of these nodes: its key waits for that one's output. */
    readonly below: boolean;
  }[];
  /** The git commands that put those results in out/. */
  readonly checkouts: string;
  /** The output files to check out (absolute): a watch session's next cycle starts when one changes. */
  readonly files: readonly string[];
  constructor(lockPath: string, nodes: MergedResultMissingError['nodes'], labels: ReadonlyMap<string, string>) {
    const sideOf = (side: string): string => {
      const label = labels.get(side) ?? side;
      return label === side ? side : `${side}: ${label}`;
    };
    const named = nodes.map((n) => `${n.node} (${sideOf(n.side)}, ${n.output})`);
    const shown = named.length > 4 ? [...named.slice(0, 4), `and ${named.length - 4} more`] : named;
    const checkouts = (['theirs', 'ours'] as const).flatMap((side) => {
      const paths = nodes.filter((n) => n.side === side).map((n) => n.output);
      if (paths.length === 0) return [];
      // Once the merge is committed, HEAD is the merge: ours is its first parent, theirs its
      // second (or the branch git named).
      const label = labels.get(side) ?? side;
      const parent = side === 'ours' ? 'HEAD^1' : 'HEAD^2';
      const ref = label === side || side === 'ours' ? parent : label;
      const later = ` (merge committed: \`git checkout ${ref} -- …\`)`;
      return [`\`git checkout --${side} -- ${paths.join(' ')}\`${later}`];
    });
    const forced = nodes.filter((n) => !n.below).map((n) => n.node);
    super(
      'E_MERGED_RESULT_MISSING',
      `${basename(lockPath)} has git conflicts: the recipe asks what a branch paid for, but neither the ` +
        `output file, the cache nor the remote holds that result, for ${shown.join(', ')}: nothing was paid`,
      {
        exitCode: ExitCode.DATA_ERR,
        hint:
          `resolve out/ as the recipe was resolved, ${checkouts.join('; ')}, then run again ` +
          `(or \`--force ${forced.join(',')} --overwrite\` to pay for ${forced.length === 1 ? 'it' : 'them'} anew)`,
      },
    );
    this.nodes = nodes;
    this.checkouts = checkouts.join('; ');
    this.files = nodes.map((n) => resolve(dirname(lockPath), n.output));
  }
}

/**
 * The error that stops the run before it pays, or null: a node decided by the recipe whose state
 * runs for that very entry's key (not forced, not re-attaching for free, not stopped already),
 * and the nodes decided so below it (their key waits for its output), so one checkout fixes all.
 * A node the run does not select (`--only`, `--shard`) counts too when neither its output file
 * nor the store (the remote through it) holds its entry's result: the merge this run writes would
 * leave it to a later run, which would pay for it.
 */
export async function mergedResultStop(
  lockPath: string,
  resolved: ResolvedLock,
  prepared: Prepared,
  store: Pick<Store, 'hashSource' | 'getRecord'>,
): Promise<MergedResultMissingError | null> {
  const { conflict } = resolved;
  if (conflict === null || conflict.asked.size === 0) return null;
  const missing: MergedResultMissingError['nodes'][number][] = [];
  const labels = new Map<string, string>();
  /** Whether the entry's output file holds its bytes (or their git LFS pointer). */
  const fileHolds = async (entry: LockEntry): Promise<boolean> => {
    const file = resolve(dirname(lockPath), entry.output);
    return holdsBytes(file, await store.hashSource(file).catch(() => null), entry.output_sha256);
  };
  const held = async (entry: LockEntry): Promise<boolean> =>
    (await fileHolds(entry)) || (await store.getRecord(entry.key).catch(() => null)) !== null;
  for (const node of prepared.plan.nodes) {
    const asked = conflict.asked.get(node.id);
    const entry = resolved.lock.nodes[node.id];
    if (asked === undefined || entry === undefined) continue;
    const up = node.input.kind === 'node' ? node.input.id : null;
    const upMissing = up !== null && missing.some((m) => m.node === up);
    const state = prepared.states.get(node.id);
    if (state === undefined) {
      if (!upMissing && (await held(entry))) continue;
    } else {
      const below = state.key === null && upMissing;
      if (state.status !== 'run' || state.forced || (state.key !== entry.key && !below)) continue;
      if (state.claim === 'attach' || state.claim === 'wait') continue;
      // A node stopped (its file is not what the lock says) is counted when its file holds the
      // other side's result: out/ resolved the other way than the recipe (`--overwrite` would pay).
      const other = asked.other;
      if (prepared.stopped?.has(node.id) === true && !(other !== undefined && (await fileHolds(other)))) continue;
    }
    missing.push({ node: node.id, side: asked.side, output: entry.output, below: upMissing });
    labels.set(asked.side, asked.label);
  }
  return missing.length === 0 ? null : new MergedResultMissingError(lockPath, missing, labels);
}

/** The files a merge stop names to check out (absolute), when `e` is one; else none. */
export function mergeStopFiles(e: unknown): readonly string[] {
  return e instanceof MergedResultMissingError ? e.files : [];
}
