/**
 * Pass-level analysis before nodes are expanded: each pass's parent, root source, variant
 * fan-out and depth, in a stable topological order. Linear in the number of passes.
 */
import { ExitCode, KontextError } from '../errors.js';
import type { Pass, Recipe, Source } from '../recipe/types.js';

export interface PassInfo {
  readonly pass: Pass;
  /** The pass this one reads from, or null when it reads a source. */
  readonly parent: PassInfo | null;
  /** The source at the top of this pass's chain. */
  readonly root: Source;
  /**
   * The variant of each node per instance: `[null]` without fan-out, `[1..n]` below a pass
   * with variants, `[k]` below a `pick: k` or a `from: <pass>#k` (the node keeps the variant's
   * number, so its id, seed and cache entry stay the same whichever variant is picked).
   */
  readonly variants: readonly (number | null)[];
  /** True when the fan-out starts at this pass (its seeds get the variant offset). */
  readonly ownsVariants: boolean;
  /** Roots are 1. */
  readonly depth: number;
}

/** Validation should have caught this: it is our bug, not the user's (exit 70). */
function internal(message: string): KontextError {
  return new KontextError('E_INTERNAL', `planner: ${message}`, {
    exitCode: ExitCode.SOFTWARE,
    hint: 'the recipe passed validation but cannot be planned; please report this',
  });
}

/**
 * Passes in recipe order, except that a pass whose `from` names a later pass is placed
 * right after it (parents always come first).
 */
export function orderPasses(recipe: Recipe): PassInfo[] {
  const byId = new Map<string, Pass>();
  for (const p of recipe.passes) {
    if (byId.has(p.id)) throw internal(`duplicate pass id "${p.id}"`);
    byId.set(p.id, p);
  }
  const sources = new Map(recipe.sources.map((s) => [s.name, s] as const));
  const done = new Map<string, PassInfo>();
  const order: PassInfo[] = [];
  for (const pass of recipe.passes) {
    for (const p of pendingChain(pass, byId, done).reverse()) {
      const info = describePass(p, done, sources);
      done.set(p.id, info);
      order.push(info);
    }
  }
  return order;
}

/** `pass` and its not-yet-placed ancestors, nearest first. */
function pendingChain(pass: Pass, byId: Map<string, Pass>, done: Map<string, PassInfo>): Pass[] {
  const chain: Pass[] = [];
  const seen = new Set<string>();
  let cur: Pass | undefined = pass;
  while (cur !== undefined && !done.has(cur.id)) {
    if (seen.has(cur.id)) throw internal(`cycle through pass "${cur.id}"`);
    seen.add(cur.id);
    chain.push(cur);
    if (cur.from.kind === 'source') break;
    const parentId: string = cur.from.id;
    cur = byId.get(parentId);
    if (cur === undefined) throw internal(`unknown pass "${parentId}"`);
  }
  return chain;
}

function describePass(pass: Pass, done: Map<string, PassInfo>, sources: Map<string, Source>): PassInfo {
  const parent = pass.from.kind === 'pass' ? (done.get(pass.from.id) ?? null) : null;
  let root: Source | undefined;
  if (pass.from.kind === 'source') root = sources.get(pass.from.name);
  else root = parent?.root;
  if (root === undefined) throw internal(`pass "${pass.id}" has no resolvable input`);
  const inherited = inheritedVariants(pass, parent);
  const ownsVariants = pass.variants > 1;
  if (ownsVariants && inherited.some((v) => v !== null)) {
    throw internal(`nested variants: pass "${pass.id}" has variants downstream of other variants`);
  }
  return {
    pass,
    parent,
    root,
    variants: ownsVariants ? Array.from({ length: pass.variants }, (_, i) => i + 1) : inherited,
    ownsVariants,
    depth: (parent?.depth ?? 0) + 1,
  };
}

/** The variants a pass takes from its parent: one when `from: <pass>#k` or the parent's `pick:` chose it. */
function inheritedVariants(pass: Pass, parent: PassInfo | null): readonly (number | null)[] {
  if (parent === null) return [null];
  const chosen = pass.from.kind === 'pass' ? (pass.from.variant ?? parent.pass.pick) : undefined;
  if (chosen === undefined || !parent.ownsVariants) return parent.variants;
  if (!parent.variants.includes(chosen))
    throw internal(`pass "${pass.id}" takes variant ${chosen} of "${parent.pass.id}"`);
  return [chosen];
}
