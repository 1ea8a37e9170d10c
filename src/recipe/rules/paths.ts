/**
 * Output paths stay inside the project root (docs/architecture.md#the-recipe): a shared recipe must not write to
 * `../../etc`. Reading sources from outside is fine. The check is lexical (after resolving
 * `..`), which is what a reviewer reading the recipe sees.
 */
import path from 'node:path';
import type { DocPath } from '../yaml/locate.js';
import type { Rule } from './context.js';

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export const outputsInsideRoot: Rule = (ctx) => {
  if (ctx.allowOutsideRoot) return [];
  const outputs: { at: DocPath; value: string | undefined; what: string }[] = [
    { at: ['out'], value: ctx.draft.out, what: 'output folder' },
    { at: ['defaults', 'save'], value: ctx.draft.defaults.save, what: 'save path' },
    ...ctx.draft.passes.map((p) => ({ at: ['passes', p.index, 'save'] as DocPath, value: p.save, what: 'save path' })),
  ];
  return outputs.flatMap(({ at, value, what }) => {
    if (value === undefined || isInside(ctx.projectRoot, path.resolve(ctx.dir, value))) return [];
    return [
      ctx.report({
        code: 'outside-root',
        path: at,
        message: `${what} "${value}" is outside the project root ${ctx.projectRoot}`,
        hint:
          "keep outputs inside the project; relative paths start at the recipe's folder. " +
          'To allow it anyway, pass --allow-outside-root',
      }),
    ];
  });
};
