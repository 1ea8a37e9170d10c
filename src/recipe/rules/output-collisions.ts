/**
 * No two nodes write one file. Every node's output (`<out>/<pass>/<name>[-v<k>].<ext>`) and
 * its `save:` copy are named here as the planner will name them, and compared the way a
 * case-insensitive, normalization-insensitive file system (macOS, Windows) compares names:
 * `Final/a.png` and `final/a.png`, `./x/{source}.{ext}` and `x/{source}.{ext}`, a `save:`
 * landing on another pass's default output, a `{pass}` template filled into another pass's
 * literal path. `{ext}` is only known after the download, so it matches any extension.
 * A later run would otherwise overwrite one paid result with another (or refuse every run as
 * a hand edit). Fan-outs without `{source}` / `{variant}` and one template shared by passes
 * are the save-collision rule's (save.ts); this rule reports what those cannot see.
 */
import path from 'node:path';
import type { Problem } from '../../errors.js';
import { foldPath } from '../../util/fold-path.js';
import { fillSave } from '../../util/save-template.js';
import { defaultOutOf } from '../build.js';
import { setting } from '../draft.js';
import type { Rule, RuleContext } from './context.js';
import { fanOutProblems } from './save.js';

const VARIANTS_MAX = 64;
/** What a filled template may need normalizing for: an empty `{variant}` between separators. */
const UNCLEAN = /\/\.{0,2}(?:\/|$)/;
const EXT = '{ext}';

interface Target {
  readonly pass: number;
  /** The pass id, instance and variant name the node (its id is built only for a message). */
  readonly id: string;
  readonly instance: string | null;
  readonly variant: number | null;
  /** The `save:` template as written (after defaults), or null for the default output. */
  readonly template: string | null;
  /** The file (absolute; shown relative to the recipe's folder). */
  readonly file: string;
  /** Extension: lower-case, `*` for `{ext}` (any non-empty one), '' for none. */
  readonly ext: string;
}

const nodeOf = (t: Target): string =>
  `${t.id}${t.instance === null ? '' : `@${t.instance}`}${t.variant === null ? '' : `#${t.variant}`}`;

const sameNode = (a: Target, b: Target): boolean =>
  a.pass === b.pass && a.instance === b.instance && a.variant === b.variant;

/** The variants of each pass's nodes, as the planner numbers them; null when unresolved (other rules report it). */
export function variantsOf(ctx: RuleContext): (i: number) => readonly (number | null)[] | null {
  const memo = new Map<number, readonly (number | null)[] | null>();
  const own = (i: number): number => {
    const pass = ctx.draft.passes[i];
    return pass === undefined ? 1 : (setting(ctx.draft, pass, 'variants')?.value ?? 1);
  };
  const step = (i: number): readonly (number | null)[] | null => {
    const n = own(i);
    if (n > 1) return Number.isInteger(n) && n <= VARIANTS_MAX ? Array.from({ length: n }, (_, k) => k + 1) : null;
    const up = ctx.graph.upstream(i);
    if (up === undefined) return ctx.graph.inputs[i] ? [null] : null;
    const parent = memo.get(up) ?? null;
    const input = ctx.graph.inputs[i];
    const chosen = input?.kind === 'pass' ? (input.variant ?? ctx.draft.passes[up]?.pick) : undefined;
    if (parent === null || chosen === undefined || own(up) <= 1) return parent;
    return parent.includes(chosen) ? [chosen] : null;
  };
  return (start) => {
    // Walk up to a known pass (iteratively: a 10,000-pass chain must not overflow the stack).
    const chain: number[] = [];
    const inChain = new Set<number>();
    for (let cur: number | undefined = start; cur !== undefined && !memo.has(cur); cur = ctx.graph.upstream(cur)) {
      if (inChain.has(cur)) return null; // a cycle: the from-cycle rule reports it
      inChain.add(cur);
      chain.push(cur);
    }
    for (const i of chain.reverse()) memo.set(i, step(i));
    return memo.get(start) ?? null;
  };
}

/** The key two names of one file share on a case- and normalization-insensitive file system. */
function keyOf(abs: string): { readonly key: string; readonly ext: string } {
  const folded = foldPath(abs);
  if (folded.endsWith(`.${EXT}`)) return { key: folded.slice(0, -EXT.length - 1), ext: '*' };
  const base = path.basename(folded);
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return { key: folded, ext: '' };
  return { key: folded.slice(0, folded.length - base.length + dot), ext: base.slice(dot + 1) };
}

const sameFile = (a: string, b: string): boolean => a === b || (a === '*' && b !== '') || (b === '*' && a !== '');

/** Passes whose `save:` the save-collision rule already reports for a missing `{source}` or `{variant}`. */
function fannedOut(ctx: RuleContext): (i: number) => boolean {
  const memo = new Map<number, boolean>();
  return (i) => {
    let known = memo.get(i);
    if (known === undefined) {
      const pass = ctx.draft.passes[i];
      const save = pass === undefined ? undefined : setting(ctx.draft, pass, 'save');
      known = pass !== undefined && save !== undefined && fanOutProblems(ctx, pass, save.value, save.path).length > 0;
      memo.set(i, known);
    }
    return known;
  };
}

/** Pairs the save-collision rule already reports: within a fanned-out pass, one template in two passes. */
function coveredElsewhere(fanned: (i: number) => boolean, a: Target, b: Target): boolean {
  if (a.pass === b.pass) return fanned(a.pass);
  return a.template !== null && a.template === b.template && !a.template.includes('{pass}');
}

/** Targets of one pass and kind (output or save) collide as one: the first stands for the rest. */
const classOf = (t: Target): string => `${t.pass}/${t.template === null ? 'output' : 'save'}`;

function problemFor(ctx: RuleContext, earlier: Target, later: Target): Problem {
  // Point at a `save:` when one of the two is a save (the default layout is not the mistake).
  const [at, other] = later.template === null && earlier.template !== null ? [earlier, later] : [later, earlier];
  const pass = ctx.draft.passes[at.pass];
  const where = pass && at.template !== null ? setting(ctx.draft, pass, 'save')?.path : undefined;
  const otherPos = ctx.locate(['passes', other.pass]);
  const what = (t: Target): string =>
    `${t.template === null ? 'output' : 'save: path'} ${path.relative(ctx.dir, t.file)}`;
  return ctx.report({
    code: 'output-collision',
    path: where ?? ['passes', at.pass, 'id'],
    message: `node "${nodeOf(at)}" (${what(at)}) would write the same file as node "${nodeOf(other)}" (${what(other)})`,
    hint:
      `"${nodeOf(other)}" is passes[${other.pass}]${otherPos ? ` on line ${otherPos.line}` : ''}; ` +
      'make the paths differ (names differing only by case or Unicode form are one file on macOS and Windows)',
  });
}

export const outputCollisions: Rule = (ctx) => {
  // Default outputs alone never share a file: pass folders are unique lower-case ids, and the
  // names in one are unique instance names (ignoring case) with distinct variant suffixes. Only a
  // `save:` can land on another node's file, so a recipe without one costs nothing here.
  if (!ctx.draft.passes.some((p) => setting(ctx.draft, p, 'save') !== undefined)) return [];
  const outDir = path.resolve(ctx.dir, ctx.draft.out ?? defaultOutOf(ctx.draft, ctx.file));
  const variants = variantsOf(ctx);
  const fanned = fannedOut(ctx);
  const seen = new Map<string, Target[]>();
  const reported = new Set<string>();
  const out: Problem[] = [];
  const add = (node: Omit<Target, 'file' | 'ext' | 'template'>, template: string | null, file: string): void => {
    const { key, ext } = keyOf(file);
    // Written out, not spread: a spread here was most of this rule's time on a 10,000-node plan.
    const { pass, id, instance, variant } = node;
    const target: Target = { pass, id, instance, variant, template, file, ext };
    const list = seen.get(key);
    if (list === undefined) {
      seen.set(key, [target]);
      return;
    }
    for (const e of list) {
      if (sameNode(e, target) || !sameFile(e.ext, ext) || coveredElsewhere(fanned, e, target)) continue;
      const pair = `${classOf(e)}\u0000${classOf(target)}`;
      if (reported.has(pair)) continue;
      reported.add(pair);
      out.push(problemFor(ctx, e, target));
    }
    // Bounded: one target per class and extension kind, so a 1,000-file fan-out onto one name stays linear.
    if (!list.some((e) => classOf(e) === classOf(target) && e.ext === ext)) list.push(target);
  };
  for (const pass of ctx.draft.passes) {
    const root = ctx.graph.rootSource(pass.index);
    const source = root === null ? undefined : ctx.sources.get(root);
    const vs = source === undefined ? null : variants(pass.index);
    if (pass.id === undefined || source === undefined || vs === null) continue;
    const id = pass.id;
    const save = setting(ctx.draft, pass, 'save')?.value ?? null;
    // Resolved once per pass: placeholders hold no `/`, so only what filling may leave (`a//b`) needs it again.
    const saveAbs = save === null ? null : path.resolve(ctx.dir, save);
    const passDir = path.join(outDir, id);
    for (const inst of source.instances) {
      const name = inst.instance ?? source.name;
      for (const variant of vs) {
        const node = { pass: pass.index, id, instance: inst.instance, variant };
        add(node, null, `${passDir}/${name}${variant === null ? '' : `-v${variant}`}.${EXT}`);
        if (save === null || saveAbs === null) continue;
        const filled = fillSave(saveAbs, { source: name, pass: id, variant });
        add(node, save, UNCLEAN.test(filled) ? path.resolve(filled) : filled);
      }
    }
  }
  return out;
};
