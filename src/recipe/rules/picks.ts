/**
 * Rules on choosing one variant: `from: <pass>#<k>` and `pick: <k>` must name a variant the
 * pass really has (it sets `variants:` itself, or through `defaults:`, and k is in range).
 */
import type { Problem } from '../../errors.js';
import { type Draft, type DraftPass, setting } from '../draft.js';
import { parseFromRef } from '../from-ref.js';
import type { Rule, RuleContext } from './context.js';

/** How many variants a pass draws itself (1 = none). */
function ownVariants(draft: Draft, pass: DraftPass): number {
  return setting(draft, pass, 'variants')?.value ?? 1;
}

const range = (id: string, n: number): string => (n === 2 ? `${id}#1 or ${id}#2` : `${id}#1 .. ${id}#${n}`);

/** `from: bag#2`: a pass (not a source) with at least 2 variants. */
export const fromVariant: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    if (pass.from === undefined || !pass.from.includes('#')) continue;
    const problem = fromVariantProblem(ctx, pass.from);
    if (problem !== undefined)
      out.push(ctx.report({ code: 'from-variant', path: ['passes', pass.index, 'from'], ...problem }));
  }
  return out;
};

function fromVariantProblem(ctx: RuleContext, from: string): { message: string; hint?: string } | undefined {
  const ref = parseFromRef(from);
  const index = ctx.graph.passIndex.get(ref.name);
  const target = index === undefined ? undefined : ctx.draft.passes[index];
  if (target === undefined) {
    if (!ctx.graph.sourceNames.has(ref.name)) return undefined; // rules/from.ts reports the unknown name
    return { message: `"${from}": a source has no variants`, hint: `did you mean "from: ${ref.name}"?` };
  }
  const n = ownVariants(ctx.draft, target);
  if (n <= 1)
    return {
      message: `"${from}": pass "${ref.name}" has no variants of its own`,
      hint: `did you mean "from: ${ref.name}"? (or give "${ref.name}" variants: N)`,
    };
  if (ref.variant === undefined)
    return { message: `"${from}": the part after # must be a variant number`, hint: `use ${range(ref.name, n)}` };
  if (ref.variant > n)
    return {
      message: `"${from}": pass "${ref.name}" has ${n} variants, not ${ref.variant}`,
      hint: `did you mean "${ref.name}#${n}"? (variants are ${range(ref.name, n)})`,
    };
  return undefined;
}

/** `pick: k` on a pass with variants, k within them. */
export const pickRange: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    if (pass.pick === undefined) continue;
    const n = ownVariants(ctx.draft, pass);
    const id = pass.id ?? `passes[${pass.index}]`;
    const path = ['passes', pass.index, 'pick'];
    if (n <= 1)
      out.push(
        ctx.report({
          code: 'pick-no-variants',
          path,
          message: `pick: ${pass.pick}, but "${id}" has no variants to pick from`,
          hint: 'remove pick:, or give the pass variants: N',
        }),
      );
    else if (Number.isInteger(pass.pick) && pass.pick > n)
      out.push(
        ctx.report({
          code: 'pick-range',
          path,
          message: `pick: ${pass.pick}, but "${id}" has ${n} variants`,
          hint: `did you mean pick: ${n}? (1..${n})`,
        }),
      );
  }
  return out;
};
