/**
 * `out:` and `save:` must not point at what a run must never overwrite, in any case or Unicode
 * form of its name (macOS and Windows open `ASSETS/Photo.jpg` for `assets/photo.jpg`): a `.git` folder, the
 * recipe, its lock (any `*.lock.json`), its sources (glob matches included: a source overwritten
 * by its own output changes, re-runs and is paid for on every run) or the cache dir. Nor may
 * `out:` hold the recipe, its lock or a source (`out: .`): the out folder is the outputs' own
 * (runs write into it, `kontext clean` removes from it, once deleting sources). Checked on
 * the paths as written and as they really are through symlinks (`ctx.real`); the run checks
 * again when it writes, because links can change in between. `--allow-outside-root` never
 * lifts these.
 */
import path from 'node:path';
import type { Problem } from '../../errors.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';
import { isInside } from './paths.js';
import { realForm } from '../write-paths.js';
import { foldPath } from '../../util/fold-path.js';
import { type TemplateToken, templateMatcher } from '../../util/path-template.js';

const EXTS = ['png', 'jpg', 'jpeg', 'webp', 'gif', 'avif', 'heic'];

/**
 * Every file an absolute `save:` template can produce (an empty `{variant}` may drop a separator),
 * as template tokens (util/path-template.ts: a RegExp of this shape backtracked for minutes).
 */
function templateTokens(template: string, ctx: RuleContext): TemplateToken[] {
  const passes = ctx.draft.passes.flatMap((p) => (p.id === undefined ? [] : [String(p.id)]));
  const sources = [...ctx.sources.values()].flatMap((s) => [s.name, ...s.instances.flatMap((i) => i.instance ?? [])]);
  const oneOf = (texts: readonly string[]): TemplateToken =>
    texts.length === 0 ? { kind: 'star' } : { kind: 'oneOf', texts };
  const tokens: TemplateToken[] = [];
  for (const part of template.split(/(\{(?:pass|source|variant|ext)\})/)) {
    if (part === '{pass}') tokens.push(oneOf(passes));
    else if (part === '{source}') tokens.push(oneOf(sources));
    else if (part === '{variant}') tokens.push({ kind: 'star' });
    else if (part === '{ext}') tokens.push({ kind: 'oneOf', texts: EXTS });
    else if (part !== '') {
      const last = part.at(-1) as string;
      if (/[-_. ]/.test(last) && template.includes(`${last}{variant}`)) {
        if (part.length > 1) tokens.push({ kind: 'text', text: part.slice(0, -1) });
        tokens.push({ kind: 'optional', text: last });
      } else tokens.push({ kind: 'text', text: part });
    }
  }
  return tokens;
}

interface Target {
  readonly at: DocPath;
  readonly value: string;
  readonly kind: 'out' | 'save';
}

function targets(ctx: RuleContext): Target[] {
  const out: Target[] = ctx.draft.out === undefined ? [] : [{ at: ['out'], value: ctx.draft.out, kind: 'out' }];
  const saves: Target[] = [
    ...(ctx.draft.defaults.save === undefined
      ? []
      : [{ at: ['defaults', 'save'] as DocPath, value: ctx.draft.defaults.save, kind: 'save' as const }]),
    ...ctx.draft.passes.flatMap((p) =>
      p.save === undefined
        ? []
        : [{ at: ['passes', p.index, 'save'] as DocPath, value: p.save, kind: 'save' as const }],
    ),
  ];
  return [...out, ...saves];
}

/** What `abs` (a folder for `out:`, a template for `save:`) would overwrite, or null. */
function clash(
  abs: string,
  kind: Target['kind'],
  ctx: RuleContext,
  protectedFiles: ReadonlyMap<string, string>,
): string | null {
  // Compared as a case-insensitive file system compares names (foldPath): a teammate's Mac opens
  // `.GIT`, `Assets/` or `Recipe.Lock.json` as the protected one.
  const folded = foldPath(abs);
  if (folded.split(path.sep).includes('.git')) return 'a .git folder';
  // The cache dir itself is elsewhere (the run's write guard refuses it); `.kontext` is the old
  // per-project cache that a run moves into it, everything in the folder taken for cache files.
  if (isInside(foldPath(path.join(ctx.projectRoot, '.kontext')), folded))
    return 'the old per-project cache folder ".kontext" (a run moves what it holds into the shared cache)';
  // The out folder is written into and cleaned: it must hold none of these.
  if (kind === 'out') {
    for (const [file, what] of protectedFiles) if (isInside(folded, foldPath(file))) return `a folder holding ${what}`;
    return null;
  }
  if (folded.endsWith('.lock.json')) return 'a lock file';
  // Case-blind, as macOS and Windows open names (`ASSETS/photo.jpg` is the source there).
  const matches = templateMatcher(templateTokens(abs.normalize('NFC'), ctx), { ignoreCase: true });
  for (const [file, what] of protectedFiles) if (matches(file.normalize('NFC'))) return what;
  return null;
}

export const writeTargets: Rule = (ctx) => {
  const protectedFiles = new Map<string, string>();
  const add = (file: string, what: string): void => {
    protectedFiles.set(file, what);
    protectedFiles.set(ctx.real(file), what);
  };
  add(ctx.file, 'the recipe itself');
  add(ctx.lockPath, "the recipe's lock file");
  for (const s of ctx.sources.values())
    for (const i of s.instances) if (i.path !== undefined) add(i.path, `the source "${s.name}" (${i.path})`);
  const out: Problem[] = [];
  for (const t of targets(ctx)) {
    const abs = path.resolve(ctx.dir, t.value);
    const hit =
      clash(abs, t.kind, ctx, protectedFiles) ??
      clash(realForm(abs, t.kind === 'out', ctx.real), t.kind, ctx, protectedFiles);
    if (hit === null) continue;
    out.push(
      ctx.report({
        code: 'write-protected',
        path: t.at,
        message: `${t.kind === 'out' ? 'output folder' : 'save path'} "${t.value}" would write into ${hit}`,
        hint:
          'outputs never overwrite .git, the recipe, its lock, its sources or the cache ' +
          '(not even with --allow-outside-root); choose a folder of their own',
      }),
    );
  }
  return out;
};
