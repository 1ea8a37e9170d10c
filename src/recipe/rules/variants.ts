/** Variants of variants: a pass with variants below another pass with variants. */
import type { Problem } from '../../errors.js';
import { setting } from '../draft.js';
import type { Rule } from './context.js';

const HINT =
  'variants of variants are not supported, since the outputs would multiply; ' +
  'keep variants on one pass per chain, or fix the upstream seed';

export const nestedVariants: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    const own = setting(ctx.draft, pass, 'variants');
    if (!own || own.value <= 1) continue;
    const ancestor = ctx.graph.variantAncestor(pass.index);
    if (ancestor === undefined) continue;
    const up = ctx.draft.passes[ancestor]?.id ?? `passes[${ancestor}]`;
    const message =
      own.path[0] === 'defaults'
        ? 'every pass gets these variants, and some passes take their input from others'
        : `"${pass.id ?? pass.index}" has variants, but its input already fans out into variants at "${up}"`;
    out.push(ctx.report({ code: 'nested-variants', path: own.path, message, hint: HINT }));
  }
  return out;
};
