/**
 * Seeds: a seed in the recipe wins; otherwise the lock's is reused; otherwise one is drawn.
 * `--reseed` skips the lock for the named passes (a recipe seed still wins: it is checked in).
 */
import type { PlanNode } from '../plan/types.js';
import type { LockEntry } from '../store/types.js';
import { selects, type PassSelection } from './options.js';

export type SeedSource = 'recipe' | 'lock' | 'drawn';

export function chooseSeed(
  node: PlanNode,
  locked: LockEntry | undefined,
  reseed: PassSelection,
  draw: () => number,
): { readonly seed: number; readonly source: SeedSource } {
  if (node.seed !== null) return { seed: node.seed, source: 'recipe' };
  if (locked && !selects(reseed, node.pass)) return { seed: locked.seed, source: 'lock' };
  return { seed: draw(), source: 'drawn' };
}
