/** Counts for a plan's one-line summary (text renderer, CLI footers). */
import type { Plan } from './types.js';

export interface PlanSummary {
  readonly nodes: number;
  /** Distinct root sources the plan reads. */
  readonly sources: number;
  /** Distinct source inputs: one per plain source, one per glob instance. */
  readonly inputs: number;
  readonly criticalPathDepth: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const sources = new Set<string>();
  const inputs = new Set<string>();
  for (const node of plan.nodes) {
    if (node.input.kind !== 'source') continue;
    sources.add(node.source);
    // JSON of the pair keeps `a` + `b@c` apart from `a@b` + `c`.
    inputs.add(JSON.stringify([node.source, node.instance]));
  }
  return {
    nodes: plan.nodes.length,
    sources: sources.size,
    inputs: inputs.size,
    criticalPathDepth: plan.criticalPathDepth,
  };
}

/** `6 nodes from 1 source (1 input) · critical path depth 4` */
export function formatSummary(s: PlanSummary): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    `${plural(s.nodes, 'node')} from ${plural(s.sources, 'source')} (${plural(s.inputs, 'input')})` +
    ` · critical path depth ${s.criticalPathDepth}`
  );
}
