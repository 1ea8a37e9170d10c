/**
 * The pass graph as the rules see it: each pass's input after default chaining (docs/architecture.md#the-recipe:
 * the previous pass; for the first pass, the only source), plus what follows from it — the
 * root source of each pass and the nearest upstream pass with variants. Linear in passes; a
 * cycle or an unresolved input simply leaves `null`s (rules report those).
 */
import type { Draft } from './draft.js';
import { setting } from './draft.js';
import { parseFromRef } from './from-ref.js';
import type { PassInput } from './types.js';

export interface PassGraph {
  /** Resolved input per pass index; `null` when unknown, ambiguous or missing. */
  readonly inputs: readonly (PassInput | null)[];
  /** First index of each pass id. */
  readonly passIndex: ReadonlyMap<string, number>;
  /** Source names declared in the recipe. */
  readonly sourceNames: ReadonlySet<string>;
  /** Index of the pass an input names, when it names a pass. */
  upstream(index: number): number | undefined;
  /** Root source name of a pass (`null` when unresolved or in a cycle). */
  rootSource(index: number): string | null;
  /** Nearest pass upstream (not itself) with variants > 1, or `undefined`. */
  variantAncestor(index: number): number | undefined;
}

function resolveInput(
  draft: Draft,
  index: number,
  passIndex: ReadonlyMap<string, number>,
  sourceNames: ReadonlySet<string>,
): PassInput | null {
  const pass = draft.passes[index];
  if (!pass) return null;
  if (pass.from !== undefined) {
    const ref = parseFromRef(pass.from);
    if (ref.badVariant !== undefined) return null;
    if (passIndex.has(ref.name)) return { kind: 'pass', id: ref.name, variant: ref.variant };
    return sourceNames.has(pass.from) ? { kind: 'source', name: pass.from } : null;
  }
  if (index > 0) {
    const prev = draft.passes[index - 1]?.id;
    return prev === undefined ? null : { kind: 'pass', id: prev };
  }
  const [only, ...rest] = sourceNames;
  return only !== undefined && rest.length === 0 ? { kind: 'source', name: only } : null;
}

export function buildGraph(draft: Draft): PassGraph {
  const passIndex = new Map<string, number>();
  draft.passes.forEach((p) => {
    if (p.id !== undefined && !passIndex.has(p.id)) passIndex.set(p.id, p.index);
  });
  const sourceNames = new Set(draft.sources.map((s) => s.name));
  const inputs = draft.passes.map((_, i) => resolveInput(draft, i, passIndex, sourceNames));
  const upstream = (i: number): number | undefined => {
    const input = inputs[i];
    return input?.kind === 'pass' ? passIndex.get(input.id) : undefined;
  };
  const hasVariants = (i: number): boolean => {
    const pass = draft.passes[i];
    return pass !== undefined && (setting(draft, pass, 'variants')?.value ?? 1) > 1;
  };
  const roots = memoWalk<string | null>(
    inputs.length,
    upstream,
    (i, up) => {
      if (up !== undefined) return up.value;
      const input = inputs[i];
      return input?.kind === 'source' ? input.name : null;
    },
    null,
  );
  const ancestors = memoWalk<number | undefined>(
    inputs.length,
    upstream,
    (_, up) => {
      if (up === undefined) return undefined;
      return hasVariants(up.index) ? up.index : up.value;
    },
    undefined,
  );
  return { inputs, passIndex, sourceNames, upstream, rootSource: roots, variantAncestor: ancestors };
}

/**
 * A value per pass computed from its upstream pass's value (memoized), with cycle protection:
 * passes in or below a cycle get `onCycle`. Iterative, so a 10,000-pass chain cannot overflow
 * the stack.
 */
function memoWalk<T>(
  size: number,
  upstream: (i: number) => number | undefined,
  step: (i: number, up: { readonly index: number; readonly value: T } | undefined) => T,
  onCycle: T,
): (i: number) => T {
  const memo = new Map<number, T>();
  const get = (start: number): T => {
    if (memo.has(start)) return memo.get(start) as T;
    // Walk up to the first computed (or looping) pass, then fill the chain back down.
    const chain: number[] = [];
    const seen = new Set<number>();
    let cur: number | undefined = start;
    while (cur !== undefined && cur < size && !memo.has(cur) && !seen.has(cur)) {
      seen.add(cur);
      chain.push(cur);
      cur = upstream(cur);
    }
    if (cur !== undefined && seen.has(cur)) for (const i of chain) memo.set(i, onCycle);
    for (let k = chain.length - 1; k >= 0; k--) {
      const i = chain[k] as number;
      if (memo.has(i)) continue;
      const up = upstream(i);
      memo.set(i, step(i, up === undefined ? undefined : { index: up, value: memo.get(up) as T }));
    }
    return memo.get(start) as T;
  };
  return get;
}
