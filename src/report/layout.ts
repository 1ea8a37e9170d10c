/**
 * The sheet's grid: one column per pass in pass-tree order (depth first, so a chain reads left
 * to right and a branch starts a new group of columns), one row per source instance.
 */
import { passForest, type PassBranch } from '../plan/pass-tree.js';
import type { Plan, PlanNode } from '../plan/types.js';
import type { ReportPass } from './types.js';

export function columnsOf(plan: Plan): {
  readonly passes: ReportPass[];
  readonly indexOf: ReadonlyMap<string, number>;
} {
  const passes: ReportPass[] = [];
  // Explicit stack, depth first in child order: a chain of thousands of passes must not exhaust
  // the call stack (a 5,000-pass chain's report did, exit 70).
  type Item = {
    readonly b: PassBranch;
    readonly parent: string | null;
    readonly source: string;
    readonly depth: number;
  };
  const stack: Item[] = [];
  for (const tree of passForest(plan)) {
    for (let i = tree.roots.length - 1; i >= 0; i--) {
      const root = tree.roots[i];
      if (root !== undefined) stack.push({ b: root, parent: null, source: tree.source, depth: 1 });
    }
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const { b, parent, source, depth } = item;
      const previous = passes[passes.length - 1]?.id ?? null;
      passes.push({
        id: b.pass,
        prompt: b.first.prompt,
        from: parent ?? source,
        fromSource: parent === null,
        depth,
        branch: parent === null ? previous !== null : previous !== parent,
        maxChange: b.first.maxChange ?? null,
        ownsVariants: b.ownsVariants,
        picked: b.picked,
      });
      for (let i = b.children.length - 1; i >= 0; i--) {
        const child = b.children[i];
        if (child !== undefined) stack.push({ b: child, parent: b.pass, source, depth: depth + 1 });
      }
    }
  }
  return { passes, indexOf: new Map(passes.map((p, i) => [p.id, i] as const)) };
}

export interface GridRow {
  readonly source: string;
  readonly instance: string | null;
  /** The row's first root node: its input is the source image. */
  readonly root: PlanNode;
}

/** One row per (source, instance), in plan order. */
export function rowsOf(plan: Plan): GridRow[] {
  const rows = new Map<string, GridRow>();
  for (const node of plan.nodes) {
    const key = rowKey(node.source, node.instance);
    if (!rows.has(key) && node.input.kind === 'source')
      rows.set(key, { source: node.source, instance: node.instance, root: node });
  }
  return [...rows.values()];
}

export function rowKey(source: string, instance: string | null): string {
  return `${source}\u0000${instance ?? ''}`;
}
