/** Rules on `from:`: names must exist, the first pass must know its source, no cycles. */
import type { Problem } from '../../errors.js';
import { closest } from '../../util/did-you-mean.js';
import { parseFromRef } from '../from-ref.js';
import type { Rule } from './context.js';

const list = (names: readonly string[]): string =>
  names.length > 8 ? `${names.slice(0, 8).join(', ')}, ...` : names.join(', ');

/** `from:` names a pass or a source that exists. */
export const fromKnown: Rule = (ctx) => {
  const out: Problem[] = [];
  const { passIndex, sourceNames } = ctx.graph;
  for (const pass of ctx.draft.passes) {
    if (pass.from === undefined) continue;
    // `bag#2`: the name is checked here, the variant by rules/picks.ts.
    const { name: from, variant } = parseFromRef(pass.from);
    if (passIndex.has(from) || sourceNames.has(from)) continue;
    const candidates = [...passIndex.keys()].filter((id) => id !== pass.id).concat([...sourceNames]);
    const suffix = variant === undefined ? '' : `#${variant}`;
    const near = closest(from, candidates);
    let hint = candidates.length > 0 ? `known names: ${list(candidates)}` : undefined;
    if (near !== undefined) hint = `did you mean "${near}${suffix}"?`;
    out.push(
      ctx.report({
        code: 'from-unknown',
        path: ['passes', pass.index, 'from'],
        message: `unknown pass or source "${from}"`,
        hint,
      }),
    );
  }
  return out;
};

/** The first pass defaults to the only source: with several sources it must say which. */
export const firstPassInput: Rule = (ctx) => {
  const first = ctx.draft.passes[0];
  const names = [...ctx.graph.sourceNames];
  if (!first || first.from !== undefined || names.length < 2) return [];
  const id = first.id === undefined ? 'the first pass' : `the first pass "${first.id}"`;
  return [
    ctx.report({
      code: 'from-ambiguous',
      path: ['passes', 0],
      message: `${id} has no from:, and there are ${names.length} sources: ${list(names)}`,
      hint: `add from: with the source it edits, e.g. from: ${names[0]}`,
    }),
  ];
};

/** A pass may not depend on its own output: report each cycle once, with its path. */
export const fromCycles: Rule = (ctx) => {
  const out: Problem[] = [];
  const { upstream } = ctx.graph;
  const state = new Uint8Array(ctx.draft.passes.length); // 0 new, 1 on the current walk, 2 done
  for (let start = 0; start < state.length; start++) {
    const walk: number[] = [];
    let cur: number | undefined = start;
    while (cur !== undefined && state[cur] === 0) {
      state[cur] = 1;
      walk.push(cur);
      cur = upstream(cur);
    }
    if (cur !== undefined && state[cur] === 1) out.push(cycleProblem(ctx, walk.slice(walk.indexOf(cur))));
    for (const i of walk) state[i] = 2;
  }
  return out;
};

function cycleProblem(ctx: Parameters<Rule>[0], cycle: readonly number[]): Problem {
  // Start the printed cycle at its earliest pass, so the message does not depend on walk order.
  const startAt = cycle.indexOf(cycle.reduce((min, i) => Math.min(min, i), Number.POSITIVE_INFINITY));
  const ordered = [...cycle.slice(startAt), ...cycle.slice(0, startAt)];
  const ids = ordered.map((i) => ctx.draft.passes[i]?.id ?? `passes[${i}]`);
  const at = ordered.find((i) => ctx.draft.passes[i]?.from !== undefined) ?? ordered[0] ?? 0;
  return ctx.report({
    code: 'from-cycle',
    path: ['passes', at, 'from'],
    message: `cycle: ${[...ids, ids[0]].join(' -> ')}`,
    hint: 'read "->" as "takes its input from"; point one of these from: at a source or an earlier pass',
  });
}
