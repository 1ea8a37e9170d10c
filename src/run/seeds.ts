/**
 * Seeds: a seed in the recipe wins; otherwise the lock's is reused; otherwise the seed of a
 * request still in the journal (submitted, paid for, never recorded: a crash or Ctrl-C hit
 * before the lock got it) that the node can re-attach to ({@link journaledSeed}), so the next
 * run keys the node the same way and re-attaches instead of paying again (and such a request,
 * with its id, wins over the lock when the node as it asks now is keyed by it: a `--reseed` cut
 * off while it ran); otherwise (recipe runs) one derived from the node, the same on every
 * machine (derived-seed.ts), else one is drawn. `--reseed` skips the lock and the journal for the
 * named nodes (a recipe seed still wins: it is checked in). Watch mode: a seed the session
 * already chose for the node wins over all but the recipe, so a request still in flight keeps
 * its key across cycles (and `--reseed` is not undone by the lock before its result lands), unless
 * the lock changed under the session (watch/cycle-plan.ts's `seedsKept`: not given then).
 */
import type { PlanNode } from '../plan/types.js';
import type { JournalEntry, LockEntry } from '../store/types.js';
import { selects, type PassSelection } from './options.js';

export type SeedSource = 'recipe' | 'session' | 'lock' | 'journal' | 'derived' | 'drawn';

/** Where a node's seed may come from, besides the recipe. */
export interface SeedChoices {
  readonly locked?: LockEntry | undefined;
  readonly reseed?: PassSelection;
  readonly draw: () => number;
  /** The seed of the node's latest journaled request. */
  readonly journaled?: number | undefined;
  /**
   * The seed of a request the journal holds for the node as it asks now, with its request id, made
   * by this recipe's run after the lock's result, no live owner (paid, never locked: a `--reseed`
   * run interrupted or killed while it ran): it wins over the lock, so the next run re-attaches to
   * it rather than leave it paid and unused.
   */
  readonly paidUnlocked?: number | undefined;
  /** The seed this watch session already chose for the node. */
  readonly session?: number | undefined;
  /** The node's derived seed (derived-seed.ts), taken instead of a draw unless reseeding; computed only then. */
  readonly derive?: (() => number) | undefined;
}

export function chooseSeed(
  node: PlanNode,
  choices: SeedChoices,
): { readonly seed: number; readonly source: SeedSource } {
  const { locked, reseed, draw, journaled, session, derive, paidUnlocked } = choices;
  if (node.seed !== null) return { seed: node.seed, source: 'recipe' };
  if (session !== undefined) return { seed: session, source: 'session' };
  const reseeding = selects(reseed, node.id);
  if (paidUnlocked !== undefined && !reseeding) return { seed: paidUnlocked, source: 'journal' };
  if (locked && !reseeding) return { seed: locked.seed, source: 'lock' };
  if (journaled !== undefined && !reseeding) return { seed: journaled, source: 'journal' };
  if (derive !== undefined && !reseeding) return { seed: derive(), source: 'derived' };
  return { seed: draw(), source: 'drawn' };
}

/** Node id → its journaled requests, oldest first (the journal lists oldest first). */
export function journaledByNode(entries: readonly JournalEntry[]): Map<string, readonly JournalEntry[]> {
  const out = new Map<string, JournalEntry[]>();
  for (const e of entries) (out.get(e.node) ?? out.set(e.node, []).get(e.node))?.push(e);
  return out;
}

/**
 * The seed of the newest of a node's journaled requests that the node can re-attach to: once its
 * input is known, one keyed as the node asks now with that seed (`keyed`); before (its upstream runs
 * first), one of this recipe's own (`own`: its lock file; an older kontext's entry names none).
 * Another recipe's request for a node of the same id gives it nothing to re-attach to: taking its
 * seed changed the node's key, so another machine, without that entry, missed the remote cache
 * and paid again (walk-q).
 */
export function journaledSeed(
  entries: readonly JournalEntry[] | undefined,
  fits: { readonly keyed: ((e: JournalEntry) => boolean) | null; readonly own: (e: JournalEntry) => boolean },
): number | undefined {
  if (entries === undefined) return undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e !== undefined && (fits.keyed === null ? fits.own(e) : fits.keyed(e))) return e.seed;
  }
  return undefined;
}
