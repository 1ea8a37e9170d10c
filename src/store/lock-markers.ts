/**
 * A lock's text with git conflict markers around the nodes a merge left undecided (the merge
 * driver, run/merge-lock.ts): the decided entries as kontext writes them, each undecided node's
 * two entries in one hunk (`<<<<<<< ours`, `=======`, `>>>>>>> theirs`; neighbours share one).
 * Each side is a whole lock, commas and all, so lock-conflict.ts reads it back as its two sides
 * without any repair, and `kontext run` decides those nodes as it does any conflicted lock.
 */
import { sortKeysDeep } from './canonical-json.js';
import type { LeftNode } from './lock-merge.js';
import type { LockEntry } from './types.js';

/** The text: `nodes` decided, `left` in conflict hunks labelled `labels`. */
export function formatLockWithConflicts(
  nodes: Readonly<Record<string, LockEntry>>,
  left: readonly LeftNode[],
  labels: { readonly ours: string; readonly theirs: string },
): string {
  const undecided = new Map(left.map((n) => [n.id, n]));
  const ids = [...new Set([...Object.keys(nodes), ...undecided.keys()])].sort();
  const member = (id: string, entry: LockEntry, last: boolean): string => {
    const body = JSON.stringify(sortKeysDeep(entry), null, 2).split('\n').join('\n    ');
    return `    ${JSON.stringify(id)}: ${body}${last ? '' : ','}\n`;
  };
  let text = '{\n  "nodes": {\n';
  let hunk: { ours: string; theirs: string } | null = null;
  const close = (): void => {
    if (hunk === null) return;
    text += `<<<<<<< ${labels.ours}\n${hunk.ours}=======\n${hunk.theirs}>>>>>>> ${labels.theirs}\n`;
    hunk = null;
  };
  for (const [i, id] of ids.entries()) {
    const last = i === ids.length - 1;
    const node = undecided.get(id);
    if (node === undefined) {
      close();
      text += member(id, nodes[id] as LockEntry, last);
      continue;
    }
    hunk ??= { ours: '', theirs: '' };
    hunk.ours += member(id, node.ours, last);
    hunk.theirs += member(id, node.theirs, last);
  }
  close();
  return `${text}  },\n  "version": 1\n}\n`;
}
