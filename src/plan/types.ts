/**
 * The plan: a pure DAG of nodes built from a Recipe. No I/O; cache keys and node states
 * (which need input content hashes) are resolved later by the runner.
 */

export type NodeInput =
  /** A source file or URL (a root of the DAG). */
  | {
      readonly kind: 'source';
      readonly source: string;
      readonly instance: string | null;
      readonly path?: string;
      readonly url?: string;
    }
  /** The output of another node. */
  | { readonly kind: 'node'; readonly id: string };

export interface PlanNode {
  /** `pass`, `pass@instance`, `pass#k`, `pass@instance#k`. */
  readonly id: string;
  readonly pass: string;
  /** Root source name this node descends from. */
  readonly source: string;
  /** Glob instance (file stem), `null` when the source is not a glob. */
  readonly instance: string | null;
  /** 1-based variant index, `null` when no variants apply. */
  readonly variant: number | null;
  readonly input: NodeInput;
  readonly prompt: string;
  /** Fixed seed from the recipe (variant offset applied), `null` when it is to be drawn or taken from the lock. */
  readonly seed: number | null;
  readonly aspectRatio: string | null;
  readonly model: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** `save:` path with `{source}`, `{pass}`, `{variant}` filled in; `{ext}` stays for the runner. */
  readonly save: string | null;
  /** Longest distance from a root (roots are depth 1). */
  readonly depth: number;
  /** True on the variant its pass's `pick:` chose (the one passes after it take). */
  readonly picked?: true;
  /** The pass's `max_change` (0..100): more changed pixels is a drift warning (src/review/). */
  readonly maxChange?: number | undefined;
  /** An explicit output path without its extension (`kontext edit`); else the default layout applies. */
  readonly output?: string | undefined;
}

export interface Plan {
  readonly recipe: { readonly name: string; readonly file: string; readonly provider: string; readonly outDir: string };
  /** Nodes in a topological order (recipe pass order, then instance, then variant). */
  readonly nodes: readonly PlanNode[];
  /** `[from, to]` node id pairs. */
  readonly edges: readonly (readonly [string, string])[];
  /** Number of nodes on the longest chain. */
  readonly criticalPathDepth: number;
}
