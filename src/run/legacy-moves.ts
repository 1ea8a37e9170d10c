/**
 * Outputs an older kontext wrote at `<out>/<node-id>.<ext>` that the next run moves to their
 * current names, rewriting their lock entries (adopt.ts's moveLegacyOutput, for every cache hit):
 * free, but a change to the committed tree, so `kontext status` lists them (and is not clean) and
 * `--dry-run` says so in a notice, as the run will do it (walk-aj 5). A node the run stops at, or
 * below one, is not moved.
 */
import { relative } from 'node:path';
import { outputPathFor } from '../plan/index.js';
import type { Store } from '../store/types.js';
import { legacyOutputToMove } from './adopt.js';
import type { Prepared } from './prepare.js';

/** An output a run moves to the current layout: the node, the file now (`from`) and its new name (`to`). */
export interface LegacyMove {
  readonly node: string;
  readonly from: string;
  readonly to: string;
}

export async function legacyMoves(
  prepared: Pick<Prepared, 'nodes' | 'states' | 'stopped' | 'lock'>,
  at: { readonly lockDir: string; readonly outDir: string; readonly store: Store },
): Promise<LegacyMove[]> {
  const moves: LegacyMove[] = [];
  for (const node of prepared.nodes) {
    const s = prepared.states.get(node.id);
    if (s?.status !== 'cached' || s.record === null || s.current || prepared.stopped?.has(node.id)) continue;
    const to = outputPathFor(at.outDir, node, s.record.ext);
    const paths = { lockDir: at.lockDir, outDir: at.outDir, output: to };
    const from = await legacyOutputToMove(node, prepared.lock.nodes[node.id], paths, at.store);
    if (from !== null) moves.push({ node: node.id, from, to });
  }
  return moves;
}

/** Named in a notice at most: the rest are counted. */
const NAMED = 5;

/** `--dry-run`'s notice of the moves (paths relative to the recipe's folder), or null when there are none. */
export function legacyMovesNotice(moves: readonly LegacyMove[], recipeDir: string): string | null {
  if (moves.length === 0) return null;
  const named = moves
    .slice(0, NAMED)
    .map((m) => `${m.node} (${relative(recipeDir, m.from)} → ${relative(recipeDir, m.to)})`)
    .join(', ');
  const more = moves.length > NAMED ? ` and ${moves.length - NAMED} more` : '';
  const [what, entries] =
    moves.length === 1 ? ['the output', 'its lock entry'] : [`${moves.length} outputs`, 'their lock entries'];
  return (
    `a run moves ${what} an older kontext wrote at <out>/<node-id>.<ext> to the current layout and ` +
    `rewrites ${entries} (nothing is paid; a change to commit): ${named}${more}`
  );
}
