/**
 * A plan kontext can keep: the lock holds one entry per node (about 0.7 KB each, up to ~1.3 KB
 * with the longest names) and is read back whole, under a 64 MB cap. A glob over 100,000 files
 * (or 10,000 files times 10 variants) would otherwise be validated for minutes, paid for, and
 * leave a lock the next run refuses to read. Counted exactly as the planner fans out.
 */
import type { Rule } from './context.js';
import { variantsOf } from './output-collisions.js';

/** The most nodes one recipe may plan. */
const MAX_NODES = 50_000;

export const planSize: Rule = (ctx) => {
  const variants = variantsOf(ctx);
  let nodes = 0;
  for (const pass of ctx.draft.passes) {
    const root = ctx.graph.rootSource(pass.index);
    const source = root === null ? undefined : ctx.sources.get(root);
    const vs = source === undefined ? null : variants(pass.index);
    if (source !== undefined && vs !== null) nodes += source.instances.length * vs.length;
  }
  if (nodes <= MAX_NODES) return [];
  const biggest = [...ctx.sources.values()].reduce((a, b) => (b.instances.length > a.instances.length ? b : a));
  return [
    ctx.report({
      code: 'plan-too-large',
      path: ['sources', biggest.name],
      message:
        `the recipe plans ${nodes} nodes (at most ${MAX_NODES}); ` +
        `source "${biggest.name}" has ${biggest.instances.length} files`,
      hint: 'the lock file keeps one entry per node; split the files over several recipes (or narrow the glob)',
    }),
  ];
};
