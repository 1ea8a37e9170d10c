/**
 * The plan folded back to pass level, per root source: what the text renderer draws. Glob
 * instances and variants repeat the same pass structure, so the tree is drawn once per source.
 * Linear in the number of nodes.
 */
import type { NodeInput, Plan, PlanNode } from './types.js';

export interface PassBranch {
  readonly pass: string;
  /** The pass's first node (first instance, variant 1): its prompt and seed stand for the pass. */
  readonly first: PlanNode;
  /** Highest variant index among its nodes; 0 when it has none. */
  variants: number;
  /** The variant its `pick:` chose, or null. */
  picked: number | null;
  /** True when the fan-out starts here (its seeds are offset per variant). */
  readonly ownsVariants: boolean;
  readonly children: PassBranch[];
}

export interface SourceTree {
  readonly source: string;
  /** The first root input (its path or URL is shown for a non-glob source). */
  readonly input: Extract<NodeInput, { kind: 'source' }>;
  /** Distinct instances in plan order: `[null]` for a non-glob source. */
  readonly instances: (string | null)[];
  readonly roots: PassBranch[];
}

/** Fold the plan's nodes into one pass tree per root source, in plan order. */
export function passForest(plan: Plan): SourceTree[] {
  const trees = new Map<string, SourceTree>();
  const instancesSeen = new Map<string, Set<string | null>>();
  const passOfNode = new Map<string, string>();
  const branches = new Map<string, PassBranch>();
  for (const node of plan.nodes) {
    passOfNode.set(node.id, node.pass);
    const parentPass = node.input.kind === 'node' ? passOfNode.get(node.input.id) : undefined;
    const branch = branches.get(node.pass) ?? addBranch(node, parentPass, branches, trees);
    if (node.variant !== null) branch.variants = Math.max(branch.variants, node.variant);
    if (node.picked === true) branch.picked = node.variant;
    if (node.input.kind === 'source') {
      const seen = instancesSeen.get(node.source) ?? new Set();
      instancesSeen.set(node.source, seen);
      if (!seen.has(node.instance)) {
        seen.add(node.instance);
        trees.get(node.source)?.instances.push(node.instance);
      }
    }
  }
  return [...trees.values()];
}

function addBranch(
  node: PlanNode,
  parentPass: string | undefined,
  branches: Map<string, PassBranch>,
  trees: Map<string, SourceTree>,
): PassBranch {
  const parent = parentPass === undefined ? undefined : branches.get(parentPass);
  const ownsVariants = node.variant !== null && (parent === undefined || parent.variants === 0);
  const branch: PassBranch = { pass: node.pass, first: node, variants: 0, picked: null, ownsVariants, children: [] };
  branches.set(node.pass, branch);
  if (parent !== undefined) {
    parent.children.push(branch);
  } else if (node.input.kind === 'source') {
    const tree = trees.get(node.source) ?? { source: node.source, input: node.input, instances: [], roots: [] };
    trees.set(node.source, tree);
    tree.roots.push(branch);
  }
  return branch;
}
