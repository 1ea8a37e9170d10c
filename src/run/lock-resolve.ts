/**
 * A lock git left conflicted, resolved from the truth (docs/architecture.md#cache-lock-and-journal):
 * its two sides (store/lock-conflict.ts) merged per node (store/lock-merge.ts), two different
 * entries of a node decided by the one that asks what the recipe asks (lock-asks.ts; a run stops
 * before paying for such an entry's result: lock-merge-stop.ts), else the output file on disk
 * (the store's memoized hash), else its `save:` copy (the plan's path), else the local cache,
 * else "ours". `kontext run` writes the merged lock (`writeResolved`) and says so in one notice
 * (a run its checks stop first leaves it, and says that: `checksBeforeMerge`); `status`,
 * `report`, `clean --dry-run` and `--dry-run` use it in memory and write nothing; `--frozen`
 * and `clean` refuse the conflicted lock (exit 65).
 */
import { saveCopyPath } from '../util/save-template.js';
import { basename, dirname, extname, resolve } from 'node:path';
import type { PlanNode } from '../plan/types.js';
import type { LockMergeRule } from '../store/lock-merge.js';
import { askedEntries } from './lock-asks.js';
import { mergeLockSides, ruleCounts, writeResolvedLock } from '../store/lock-merge.js';
import { firstMarkerLine, theirsLabel } from '../store/lock-conflict.js';
import { type LockUpdateListener, readLockState } from '../store/lock-file.js';
import { LockFileError } from '../store/errors.js';
import type { LockEntry, LockFile, Store } from '../store/types.js';
import { lockedFileRefusal, type WriteGuard } from '../store/write-guard.js';
import { realPathDeepSync } from '../util/real-path.js';
import { holdsBytes } from '../util/lfs-pointer.js';
import type { Runtime } from '../runtime.js';

/** What merging a conflicted lock decided. */
export interface LockConflictReport {
  /** The conflict hunks in the file. */
  readonly hunks: number;
  /**
   * Entries per rule: `same` on both sides, from `one-side` only, or two different ones decided
   * by the `recipe` (the one asking what it asks), the output `file`, the `save:` copy, the
   * `cache`, else `ours`.
   */
  readonly counts: Readonly<Record<LockMergeRule, number>>;
  /** The nodes whose two sides differed, sorted, with the rule that decided. */
  readonly decided: readonly { readonly node: string; readonly rule: Decider }[];
}

export interface ResolvedLock {
  /** The lock as read, or the merged one. */
  readonly lock: LockFile;
  /**
   * The merge, when the file had conflicts; `text` is the file as merged; `lost`, the entries the
   * merge did not take (paid for: a node asking what one asked takes its seed, orphans.ts);
   * `asked`, node → the side the recipe decided for (`ours`: HEAD, `theirs`: its label), with
   * the other side's entry.
   */
  readonly conflict:
    | (LockConflictReport & {
        readonly text: string;
        readonly lost: readonly LockEntry[];
        readonly asked: ReadonlyMap<string, AskedSide>;
      })
    | null;
}

/** The side of a conflicted node the recipe decided for, and the other side's entry (the one dropped). */
interface AskedSide {
  readonly side: 'ours' | 'theirs';
  readonly label: string;
  readonly other?: LockEntry | undefined;
}

/** The rules that decide between two different entries of a node. */
type Decider = 'recipe' | 'file' | 'save' | 'cache' | 'ours';
const DECIDERS: readonly Decider[] = ['recipe', 'file', 'save', 'cache', 'ours'];

type JudgeStore = Pick<Store, 'hashSource' | 'hasBlob'>;

/** The lock at `lockPath` (outputs checked by `outputs`), its git conflicts merged in memory. */
export async function resolvedLock(
  lockPath: string,
  p: {
    readonly outputs: WriteGuard;
    /** The store whose hash memo and blobs decide; `use` opens one only for a conflicted lock. */
    readonly store: JudgeStore | { readonly use: <T>(f: (store: JudgeStore) => Promise<T>) => Promise<T> };
    /**
     * The plan's nodes (plan order) and the run's provider: the entry asking what a node asks
     * decides first (lock-asks.ts); their `save:` copies decide after the output file.
     */
    readonly nodes?: readonly PlanNode[] | undefined;
    readonly providerName?: string | undefined;
  },
): Promise<ResolvedLock> {
  const state = await readLockState(lockPath, { outputs: p.outputs });
  if (state.sides === null) return { lock: state.lock, conflict: null };
  const { sides } = state;
  const lockDir = dirname(lockPath);
  const saves = new Map((p.nodes ?? []).map((n) => [n.id, n.save]));
  const merge = async (store: JudgeStore) => {
    const holds = async (file: string, sha256: string): Promise<boolean> =>
      holdsBytes(file, await store.hashSource(file).catch(() => null), sha256);
    const asked =
      p.nodes === undefined || p.providerName === undefined
        ? new Map<string, LockEntry>()
        : await askedEntries(p.nodes, sides, p.providerName, store);
    const merged = await mergeLockSides(sides, {
      asked: (node) => asked.get(node),
      outputHolds: (entry) => holds(resolve(lockDir, entry.output), entry.output_sha256),
      // The copy's name takes the entry's own extension, as the run that wrote it gave it.
      saveHolds: async (node, entry) => {
        const ext = extname(entry.output).slice(1);
        const copy = ext === '' ? null : saveCopyPath(saves.get(node) ?? null, ext);
        if (copy === null) return false;
        // Read only where the lock's outputs may be: a copy committed as a link out of the
        // project (to /dev/zero, to a huge file) is not read, it decides nothing.
        if (lockedFileRefusal(copy, p.outputs, realPathDeepSync) !== null) return false;
        return holds(copy, entry.output_sha256);
      },
      cacheHolds: (sha256) => store.hasBlob(sha256).catch(() => false),
    });
    return { ...merged, asked };
  };
  const merged = 'use' in p.store ? await p.store.use(merge) : await merge(p.store);
  const theirs = theirsLabel(state.text);
  const askedSides = new Map<string, AskedSide>();
  for (const [node, entry] of merged.asked) {
    const side = entry === sides.ours.nodes[node] ? 'ours' : 'theirs';
    const other = (side === 'ours' ? sides.theirs : sides.ours).nodes[node];
    askedSides.set(node, { side, label: side === 'ours' ? 'HEAD' : theirs, ...(other && { other }) });
  }
  const counts = ruleCounts(merged.rules.values());
  const decided: { node: string; rule: Decider }[] = [];
  for (const [node, rule] of merged.rules) {
    if ((DECIDERS as readonly string[]).includes(rule)) decided.push({ node, rule: rule as Decider });
  }
  return {
    lock: merged.lock,
    conflict: { hunks: sides.hunks, counts, decided, text: state.text, lost: merged.lost, asked: askedSides },
  };
}

const RULE_WORDS: Readonly<Record<LockMergeRule, string>> = {
  same: 'the same on both sides',
  'one-side': 'on one side only',
  recipe: 'by the recipe (the side asking what it asks)',
  file: 'by the output file on disk',
  save: 'by the save: copy on disk',
  cache: 'by the local cache',
  ours: 'kept ours (HEAD): neither the file, a save: copy nor the cache decides',
};

const DECIDER_WORDS: Readonly<Record<Decider, string>> = {
  recipe: 'by the recipe',
  file: 'by the output file',
  save: 'by the save: copy',
  cache: 'by the cache',
  ours: 'ours',
};

/** One line: the lock, its conflicts, how many entries each rule gave, and the nodes the two sides disagreed on. */
export function conflictMessage(lockPath: string, report: LockConflictReport, done: string): string {
  const total = Object.values(report.counts).reduce((a, b) => a + b, 0);
  const counts = (Object.keys(RULE_WORDS) as LockMergeRule[])
    .filter((rule) => report.counts[rule] > 0)
    .map((rule) => `${report.counts[rule]} ${RULE_WORDS[rule]}`);
  const byRule = DECIDERS.flatMap((rule) => {
    const nodes = report.decided.filter((d) => d.rule === rule).map((d) => d.node);
    if (nodes.length === 0) return [];
    const shown = nodes.length > 8 ? [...nodes.slice(0, 8), `and ${nodes.length - 8} more`] : nodes;
    return [`${DECIDER_WORDS[rule]}: ${shown.join(', ')}`];
  });
  const hunks = `${report.hunks} git conflict${report.hunks === 1 ? '' : 's'}`;
  const entries = `${total} entr${total === 1 ? 'y' : 'ies'}`;
  const nodes = byRule.length === 0 ? '' : `; ${byRule.join('; ')}`;
  return `${basename(lockPath)} has ${hunks}: ${done} (${entries}: ${counts.join(', ')})${nodes}`;
}

/** `kontext run`: the merged lock replaces the conflicted file (unless it changed meanwhile); the notice to show. */
export async function writeResolved(
  lockPath: string,
  resolved: ResolvedLock,
  rt: Pick<Runtime, 'pid' | 'isAlive' | 'crashPoint'>,
  onUpdate?: LockUpdateListener,
): Promise<string | null> {
  const { conflict } = resolved;
  if (conflict === null) return null;
  const wrote = await writeResolvedLock(lockPath, conflict.text, resolved.lock, {
    pid: rt.pid,
    isAlive: (pid) => rt.isAlive(pid),
    crashPoint: rt.crashPoint,
    onUpdate,
  });
  return conflictMessage(
    lockPath,
    conflict,
    wrote
      ? 'resolved and written'
      : 'resolved in memory; someone rewrote the file meanwhile (another shard of this run?), so it is left as it is',
  );
}

/**
 * A run's checks before it writes the merge (its preflight: a token, hosting, `--max-cost`): when
 * they fail, the conflicted lock stays byte for byte as it is, and one notice says so, so the
 * error is not the only word on a lock the user sees conflicted.
 */
export async function checksBeforeMerge<T>(
  lockPath: string,
  resolved: ResolvedLock,
  onNotice: (message: string) => void,
  checks: () => Promise<T>,
): Promise<T> {
  try {
    return await checks();
  } catch (e) {
    const { conflict } = resolved;
    if (conflict !== null)
      onNotice(conflictMessage(lockPath, conflict, 'left as it is, the run having stopped before writing the merge'));
    throw e;
  }
}

/** `--frozen` (CI) and `clean`: a conflicted lock is refused, not rewritten (exit 65). */
export function conflictRefusal(lockPath: string, resolved: ResolvedLock, what: string): LockFileError | null {
  const { conflict } = resolved;
  if (conflict === null) return null;
  const line = firstMarkerLine(conflict.text);
  return new LockFileError(`${lockPath}:${line}:1: the lock has git conflict markers; ${what}`, {
    hint:
      'a plain `kontext run` resolves them from the output files and the cache ' +
      `(\`kontext status\` says how); commit ${basename(lockPath)} then`,
    location: { file: lockPath, line, col: 1 },
  });
}

/**
 * The entries a new node may take its seed from beyond the lock's own (orphans.ts): those a
 * conflicted lock's merge did not take (a pass renamed while resolving the merge asks what one
 * asked: its result is paid for), then the stray locks' (stray-locks.ts).
 */
export function lostThenStrays(
  resolved: ResolvedLock,
  strays: () => Promise<readonly LockEntry[]>,
): () => Promise<readonly LockEntry[]> {
  const lost = resolved.conflict?.lost ?? [];
  return lost.length === 0 ? strays : async () => [...lost, ...(await strays())];
}
