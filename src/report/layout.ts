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
  const visit = (b: PassBranch, parent: string | null, source: string, depth: number): void => {
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
    for (const child of b.children) visit(child, b.pass, source, depth + 1);
  };
  for (const tree of passForest(plan)) for (const root of tree.roots) visit(root, null, tree.source, 1);
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
