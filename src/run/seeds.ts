/**
 * Seeds: a seed in the recipe wins; otherwise the lock's is reused; otherwise the seed of a
 * request still in the journal (submitted, paid for, never recorded: a crash or Ctrl-C hit
 * before the lock got it) so the next run keys the node the same way and re-attaches instead
 * of paying again (and such a request, with its id, wins over the lock when the node as it asks
 * now is keyed by it: a `--reseed` cut off while it ran); otherwise (recipe runs) one derived from
 * the node, the same on every machine
 * (derived-seed.ts), else one is drawn. `--reseed` skips the lock and the journal for the
 * named nodes (a recipe seed still wins: it is checked in). Watch mode: a seed the session
 * already chose for the node wins over all but the recipe, so a request still in flight keeps
 * its key across cycles (and `--reseed` is not undone by the lock before its result lands).
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

/** Node id → seed of its latest journaled request (the journal lists oldest first). */
export function journaledSeeds(entries: readonly JournalEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of entries) out.set(e.node, e.seed);
  return out;
}
