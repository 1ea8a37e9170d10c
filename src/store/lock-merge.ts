/**
 * The two sides of a conflicted lock (lock-conflict.ts) merged per node, by the truth: the same
 * entry on both sides is kept; an entry on one side only is kept; two different entries of a node
 * go to the one side that asks what the recipe asks (when the caller knows the recipe: run/lock-asks.ts),
 * else the side whose `output_sha256` the output file on disk holds, else the side whose `save:`
 * copy holds it (when the caller knows the recipe's `save:` paths), else the side whose output
 * blob the local cache holds, else "ours" (HEAD). The merged lock replaces the conflicted file
 * only through {@link writeResolvedLock}, under the lock's mutex and only while the file is still
 * the text that was merged.
 */
import { canonicalJson } from './canonical-json.js';
import { isCode } from './errno.js';
import { type FileMutexOptions, withFileMutex } from './file-mutex.js';
import type { LockSides } from './lock-conflict.js';
import type { LockEntry, LockFile } from './types.js';
import { READ_CAPS, readBoundedText } from '../util/read-bounded.js';
import { writeLockDurably } from './lock-write.js';
import { lockEol } from './lock-format.js';
import { writeFailure } from './write-errors.js';
import { lockSignature, type LockUpdateListener } from './lock-file.js';

/** How a node's merged entry was chosen. */
export type LockMergeRule = 'same' | 'one-side' | 'recipe' | 'file' | 'save' | 'cache' | 'ours';

/** How many nodes each rule settled. */
export function ruleCounts(rules: Iterable<LockMergeRule>): Record<LockMergeRule, number> {
  const counts: Record<LockMergeRule, number> = {
    same: 0,
    'one-side': 0,
    recipe: 0,
    file: 0,
    save: 0,
    cache: 0,
    ours: 0,
  };
  for (const rule of rules) counts[rule]++;
  return counts;
}

/** What decides between two different entries of one node. */
export interface LockMergeJudge {
  /**
   * The node's one entry (of its two) asking what the recipe asks now, else undefined. Only a
   * caller with the recipe knows (absent: the merge driver, which has only the three files).
   */
  asked?(node: string): LockEntry | undefined;
  /** Whether the entry's output file on disk holds its `output_sha256`. */
  outputHolds(entry: LockEntry): Promise<boolean>;
  /**
   * Whether the node's `save:` copy (the recipe's path, by the entry's output extension) holds
   * the entry's `output_sha256`. Lock entries do not name their copies: only a caller with the
   * recipe can say (absent: the merge driver, which has only the three files).
   */
  saveHolds?(node: string, entry: LockEntry): Promise<boolean>;
  /** Whether the local cache holds this blob. */
  cacheHolds(sha256: string): Promise<boolean>;
  /**
   * Three-way only: whether two different entries of a node changed on both sides are left
   * undecided (the merge driver, which cannot know what the merged recipe asks or which file the
   * user keeps: `kontext run` decides once they are resolved). Absent: every node is decided.
   */
  leave?(node: string, ours: LockEntry, theirs: LockEntry): Promise<boolean>;
}

/** A node left undecided ({@link LockMergeJudge.leave}): both its entries. */
export interface LeftNode {
  readonly id: string;
  readonly ours: LockEntry;
  readonly theirs: LockEntry;
}

export interface MergedLock {
  readonly lock: LockFile;
  /** Every node of the merged lock, sorted, with the rule that chose its entry. */
  readonly rules: ReadonlyMap<string, LockMergeRule>;
  /**
   * The entries that lost to the other side's: their results are paid for, so a node that now
   * asks what one asked (a pass renamed while resolving the merge) may take its seed (orphans.ts).
   */
  readonly lost: readonly LockEntry[];
}

export async function mergeLockSides(
  sides: Pick<LockSides, 'ours' | 'theirs'>,
  judge: LockMergeJudge,
): Promise<MergedLock> {
  const ids = [...new Set([...Object.keys(sides.ours.nodes), ...Object.keys(sides.theirs.nodes)])].sort();
  const nodes: Record<string, LockEntry> = {};
  const rules = new Map<string, LockMergeRule>();
  const lost: LockEntry[] = [];
  for (const id of ids) {
    const [o, t] = [sides.ours.nodes[id], sides.theirs.nodes[id]];
    const [entry, rule] = await pick(id, o, t, judge);
    nodes[id] = entry;
    rules.set(id, rule);
    lost.push(...loser(entry, rule, o, t));
  }
  return { lock: { version: 1, nodes }, rules, lost };
}

/** The entry a decided node did not take (none when the sides agreed or one had none). */
function loser(
  entry: LockEntry | undefined,
  rule: LockMergeRule,
  ours: LockEntry | undefined,
  theirs: LockEntry | undefined,
): LockEntry[] {
  if (rule === 'same' || rule === 'one-side' || ours === undefined || theirs === undefined) return [];
  return [entry === ours ? theirs : ours];
}

/**
 * A three-way merge (a git merge driver has the base): a node changed on one side only takes that
 * side (a deletion too); changed on both, alike, that entry; changed differently, the rules of
 * {@link mergeLockSides}, a deletion against a change keeping the changed entry (an orphan entry
 * costs nothing; a lost one pays again). `removed`: nodes a side deleted and the other left alone.
 * `unsure`: nodes whose base is not known (a base git left conflicted): any difference between
 * the sides goes by those rules, and a deletion never wins. `left`: nodes changed differently on
 * both sides that `judge.leave` keeps undecided (in neither `lock` nor `rules`).
 */
export async function mergeLockThreeWay(
  base: LockFile,
  sides: Pick<LockSides, 'ours' | 'theirs'>,
  judge: LockMergeJudge,
  unsure: ReadonlySet<string> = new Set(),
): Promise<MergedLock & { readonly removed: readonly string[]; readonly left: readonly LeftNode[] }> {
  const ids = [...new Set([base, sides.ours, sides.theirs].flatMap((l) => Object.keys(l.nodes)))].sort();
  const nodes: Record<string, LockEntry> = {};
  const rules = new Map<string, LockMergeRule>();
  const removed: string[] = [];
  const lost: LockEntry[] = [];
  const left: LeftNode[] = [];
  const same = (a: LockEntry | undefined, b: LockEntry | undefined): boolean =>
    a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b);
  for (const id of ids) {
    const [b, o, t] = [base.nodes[id], sides.ours.nodes[id], sides.theirs.nodes[id]];
    let decided: [LockEntry | undefined, LockMergeRule];
    const known = !unsure.has(id);
    if (same(o, t)) decided = [o, 'same'];
    else if (known && same(o, b)) decided = [t, 'one-side'];
    else if (known && same(t, b)) decided = [o, 'one-side'];
    else if (o !== undefined && t !== undefined && (await judge.leave?.(id, o, t)) === true) {
      left.push({ id, ours: o, theirs: t });
      continue;
    } else decided = await pick(id, o, t, judge);
    const [entry, rule] = decided;
    lost.push(...loser(entry, rule, o, t));
    if (entry === undefined) removed.push(id);
    else {
      nodes[id] = entry;
      rules.set(id, rule);
    }
  }
  return { lock: { version: 1, nodes }, rules, removed, lost, left };
}

async function pick(
  id: string,
  ours: LockEntry | undefined,
  theirs: LockEntry | undefined,
  judge: LockMergeJudge,
): Promise<[LockEntry, LockMergeRule]> {
  if (ours === undefined || theirs === undefined) return [(ours ?? theirs) as LockEntry, 'one-side'];
  if (canonicalJson(ours) === canonicalJson(theirs)) return [ours, 'same'];
  const asked = judge.asked?.(id);
  if (asked === ours || asked === theirs) return [asked, 'recipe'];
  const [fileOurs, fileTheirs] = [await judge.outputHolds(ours), await judge.outputHolds(theirs)];
  if (fileOurs !== fileTheirs) return [fileOurs ? ours : theirs, 'file'];
  if (judge.saveHolds !== undefined) {
    const [saveOurs, saveTheirs] = [await judge.saveHolds(id, ours), await judge.saveHolds(id, theirs)];
    if (saveOurs !== saveTheirs) return [saveOurs ? ours : theirs, 'save'];
  }
  const [cacheOurs, cacheTheirs] = [
    await judge.cacheHolds(ours.output_sha256),
    await judge.cacheHolds(theirs.output_sha256),
  ];
  if (cacheOurs !== cacheTheirs) return [cacheOurs ? ours : theirs, 'cache'];
  return [ours, 'ours'];
}

/**
 * Replace the conflicted lock at `path` by `lock`, atomically and durably, under the lock's mutex;
 * only while the file is still `conflicted` (someone who resolved or rewrote it meanwhile wins:
 * false). Returns whether it wrote.
 */
export async function writeResolvedLock(
  path: string,
  conflicted: string,
  lock: LockFile,
  options: FileMutexOptions & {
    readonly crashPoint?: ((point: string) => void) | undefined;
    /** Told the file's signature before and after, when it wrote (lock-file.ts's `onUpdate`). */
    readonly onUpdate?: LockUpdateListener | undefined;
  } = {},
): Promise<boolean> {
  return withFileMutex(
    path,
    async () => {
      const found = options.onUpdate ? await lockSignature(path) : null;
      const now = await readBoundedText(path, READ_CAPS.lock).catch((e: unknown) => {
        if (isCode(e, 'ENOENT')) return null;
        throw e;
      });
      if (now !== conflicted) return false;
      const points = { tempWritten: 'lock-resolved-temp-written' };
      await writeLockDurably(path, lock.nodes, {
        crashPoint: options.crashPoint,
        points,
        unchanged: RESOLVE_UNCHANGED,
        eol: lockEol(conflicted),
      });
      if (options.onUpdate) options.onUpdate(found, await lockSignature(path));
      return true;
    },
    options,
  ).catch((e: unknown) => {
    // Its mutex on a full or read-only disk (the write itself says so in writeLockDurably).
    throw writeFailure(e, path, RESOLVE_UNCHANGED);
  });
}

const RESOLVE_UNCHANGED = 'the conflicted lock is unchanged; `kontext run` resolves it again (nothing is paid)';
