/**
 * The report's lines for the files of branches a `pick:` leaves out that hold other bytes than the
 * lock records (status's `pickedOut`): those branches are no cells of the grid, so the page lists
 * them above it, in `kontext status`'s words.
 */
import { relative, sep } from 'node:path';
import type { NodeStatus } from '../run/status.js';

export function pickedOutLines(pickedOut: readonly NodeStatus[], recipeDir: string): string[] {
  return pickedOut.map((n) => {
    const file = n.output === null ? '' : ` ${relative(recipeDir, n.output).split(sep).join('/')}`;
    return `${n.node}:${file} is not the lock's output (picked out); ${whatRunDoes(n)}`;
  });
}

function whatRunDoes(n: NodeStatus): string {
  if (n.state === 'modified') return 'changed by hand: a run keeps it without --overwrite';
  return n.restorable
    ? 'a run restores it from the cache, without a request'
    : "the lock's output is in no cache: a run leaves it";
}
