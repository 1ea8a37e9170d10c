/**
 * Output paths stay inside the project root (docs/architecture.md#the-recipe): a shared recipe
 * must not write to `../../etc`. Checked on the path as written (what a reviewer reading the
 * recipe sees) and on where it really leads through symlinks (`save: homelink/.bashrc` with
 * `homelink` linking out of the project). Their text (no control characters) is hidden-text.ts's.
 */
import path from 'node:path';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';
import { realForm } from '../write-paths.js';
import { defaultOutOf } from '../build.js';
import { rootFallbackNote } from '../project-root.js';

export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Where `abs` really leads (see write-paths.ts) is inside the project root, as written or as it really is. */
function insideReally(ctx: RuleContext, abs: string, isFolder: boolean): boolean {
  const real = realForm(abs, isFolder, ctx.real);
  return isInside(ctx.projectRoot, real) || isInside(ctx.real(ctx.projectRoot), real);
}

function outputPaths(ctx: RuleContext): { at: DocPath; value: string | undefined; what: string }[] {
  return [
    { at: ['out'], value: ctx.draft.out, what: 'output folder' },
    { at: ['defaults', 'save'], value: ctx.draft.defaults.save, what: 'save path' },
    ...ctx.draft.passes.map((p) => ({ at: ['passes', p.index, 'save'] as DocPath, value: p.save, what: 'save path' })),
  ];
}

export const outputsInsideRoot: Rule = (ctx) => {
  if (ctx.allowOutsideRoot) return [];
  return outputPaths(ctx).flatMap(({ at, value: written, what }) => {
    // No `out:`: the default `out/<name>` is checked all the same (a clone's `out` committed as a
    // link to its author's folder leads outside, dangling here or not).
    const value = written ?? (what === 'output folder' ? defaultOutOf(ctx.draft, ctx.file) : undefined);
    if (value === undefined) return [];
    const abs = path.resolve(ctx.dir, value);
    const writtenInside = isInside(ctx.projectRoot, abs);
    if (writtenInside && insideReally(ctx, abs, what === 'output folder')) return [];
    // Inside as written, outside through a link (there or dangling): say where it leads.
    const via = writtenInside ? ` leads to ${realForm(abs, what === 'output folder', ctx.real)}:` : ' is';
    return [
      ctx.report({
        code: 'outside-root',
        path: at,
        message: `${what} "${value}"${via} outside the project root ${ctx.projectRoot}`,
        hint: writtenInside
          ? "a link in that path leads out of the project (a clone of another machine's link?): " +
            'replace it with a folder, or pass --allow-outside-root'
          : "keep outputs inside the project; relative paths start at the recipe's folder. " +
            `To allow it anyway, pass --allow-outside-root${rootFallbackNote(ctx.dir)}`,
      }),
    ];
  });
};
