/**
 * Rules on `save:` templates: only the known placeholders, and no two nodes saving to the same
 * file (a glob or variants fan-out needs {source} / {variant}; several passes need {pass}).
 */
import type { Problem } from '../../errors.js';
import { didYouMean } from '../../util/did-you-mean.js';
import { setting, type DraftPass } from '../draft.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';
import { classifySource } from '../sources/classify.js';
import { GlobPatternError } from '../sources/glob-pattern.js';
import { globMatchesPath, sampleSaveTarget } from '../sources/own-outputs.js';

const SAVE_PLACEHOLDERS = ['source', 'pass', 'variant', 'ext'] as const;
const ALLOWED = `allowed: ${SAVE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
/** How a save path may end: the output's own extension, or an image one. */
const IMAGE_END = /(?:\{ext\}|\.(?:png|jpe?g|webp|gif|avif|heic))$/i;

/** Problems in one template: unknown `{names}` and stray braces; a path naming a folder, not a file. */
function placeholderIssues(template: string): { message: string; hint: string }[] {
  const out: { message: string; hint: string }[] = [];
  // `final/`, `.` or `x/..` name a folder: the copy would be written over it (or as a file named
  // `final`), and only after the node was paid for.
  if (/(?:^|[/\\])\.{0,2}$/.test(template)) {
    out.push({
      message: `save path "${template}" names a folder, not a file`,
      hint: 'end it with a file name, e.g. final/{source}.{ext}',
    });
  }
  // A copy of an image under another kind of name (`{source}.yml`, `Makefile`): with --overwrite
  // it would replace that file with image bytes (walk-p: another recipe replaced by a PNG).
  else if (!IMAGE_END.test(template)) {
    out.push({
      message: `save path "${template}" does not end in an image extension`,
      hint: "end it with .{ext} (the output's own) or an image extension such as .png or .jpg",
    });
  }
  for (const m of template.matchAll(/\{([^{}]*)\}|[{}]/g)) {
    const name = m[1];
    if (name === undefined) out.push({ message: `unmatched "${m[0]}" in save path`, hint: ALLOWED });
    else if (!(SAVE_PLACEHOLDERS as readonly string[]).includes(name)) {
      const dym = didYouMean(name, SAVE_PLACEHOLDERS);
      out.push({
        message: `unknown placeholder "{${name}}"`,
        hint: dym ? `${dym.replace(/"(.*)"/, '"{$1}"')} ${ALLOWED}` : ALLOWED,
      });
    }
  }
  return out;
}

export const savePlaceholders: Rule = (ctx) => {
  const places: { at: DocPath; save: string | undefined }[] = [
    { at: ['defaults', 'save'], save: ctx.draft.defaults.save },
    ...ctx.draft.passes.map((p) => ({ at: ['passes', p.index, 'save'] as DocPath, save: p.save })),
  ];
  return places.flatMap(({ at, save }) =>
    save === undefined
      ? []
      : placeholderIssues(save).map((i) => ctx.report({ code: 'save-placeholder', path: at, ...i })),
  );
};

export function fanOutProblems(ctx: RuleContext, pass: DraftPass, save: string, at: DocPath): Problem[] {
  const out: Problem[] = [];
  const root = ctx.graph.rootSource(pass.index);
  const source = root === null ? undefined : ctx.sources.get(root);
  if (source?.kind === 'glob' && source.instances.length > 1 && !save.includes('{source}')) {
    out.push(
      ctx.report({
        code: 'save-collision',
        path: at,
        message: `every file of the glob source "${root}" would be saved to the same path`,
        hint: 'add {source} (the file stem) to the save path',
      }),
    );
  }
  const own = (setting(ctx.draft, pass, 'variants')?.value ?? 1) > 1;
  if ((own || ctx.graph.variantAncestor(pass.index) !== undefined) && !save.includes('{variant}')) {
    out.push(
      ctx.report({
        code: 'save-collision',
        path: at,
        message: 'every variant would be saved to the same path',
        hint: 'add {variant} to the save path',
      }),
    );
  }
  return out;
}

export const saveCollisions: Rule = (ctx) => {
  const out: Problem[] = [];
  const byTemplate = new Map<string, number>();
  for (const pass of ctx.draft.passes) {
    const save = setting(ctx.draft, pass, 'save');
    if (!save) continue;
    for (const p of fanOutProblems(ctx, pass, save.value, save.path)) out.push(p);
    if (save.value.includes('{pass}')) continue;
    const earlier = byTemplate.get(save.value);
    if (earlier === undefined) byTemplate.set(save.value, pass.index);
    else {
      const message =
        save.path[0] === 'defaults'
          ? 'every pass would be saved to the same path'
          : `same save path as passes[${earlier}]`;
      out.push(
        ctx.report({
          code: 'save-collision',
          path: save.path,
          message,
          hint: 'add {pass} to the save path, or make the paths differ',
        }),
      );
    }
  }
  return out;
};

const SAMPLE_EXTS = ['png', 'jpg', 'jpeg', 'webp'] as const;

/**
 * The glob sources as written, resolved or not: a glob whose every match a `save:` path
 * writes matches nothing once those are left out, and the overlap is still the problem to name.
 */
function globSources(ctx: RuleContext): { readonly name: string; readonly spec: string }[] {
  return ctx.draft.sources.flatMap(({ name, spec }) => {
    if (spec === undefined) return [];
    const resolved = ctx.sources.get(name);
    const glob = resolved ? resolved.kind === 'glob' : classifySource(spec).kind === 'glob';
    return glob ? [{ name, spec: resolved?.spec ?? spec }] : [];
  });
}

function globMatches(spec: string, dir: string, file: string): boolean {
  try {
    return globMatchesPath(spec, dir, file);
  } catch (e) {
    // A bad pattern is reported where the source is resolved.
    if (e instanceof GlobPatternError) return false;
    throw e;
  }
}

/**
 * A `save:` path a source glob would match: the run excludes those files from the glob (a
 * recipe's outputs never become its sources), but the overlap is almost always a mistake,
 * so it is reported with the positions of both.
 */
export const saveInSources: Rule = (ctx) => {
  const out: Problem[] = [];
  const globs = globSources(ctx);
  for (const pass of ctx.draft.passes) {
    const save = setting(ctx.draft, pass, 'save');
    if (!save) continue;
    for (const source of globs) {
      const samples = SAMPLE_EXTS.map((ext) => sampleSaveTarget(save.value, ctx.dir, pass.id ?? 'pass', ext));
      if (!samples.some((file) => globMatches(source.spec, ctx.dir, file))) continue;
      const at = ctx.locate(['sources', source.name]);
      const where = at ? ` (${at.file}:${at.line}:${at.col})` : '';
      out.push(
        ctx.report({
          code: 'save-in-sources',
          path: save.path,
          severity: ctx.saveInSources,
          message: `save path "${save.value}" is matched by the source glob "${source.spec}"${where}`,
          hint: 'kontext never reads its own outputs back as sources; save outside the glob, or narrow the glob',
        }),
      );
    }
  }
  return out;
};
