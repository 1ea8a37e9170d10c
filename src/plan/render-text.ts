/**
 * `kontext plan` text output: one tree per root source, like `npm ls`. The pass structure
 * is drawn once per source; glob instances and variants are folded into annotations, so a
 * 1,000-file glob prints a handful of lines, not 10,000.
 */
import { dirname, relative } from 'node:path';
import { escapeControls } from '../util/control-chars.js';
import { redactUrl } from '../util/redact.js';
import { cutToWidth, textWidth } from '../util/text-width.js';
import { passForest, type PassBranch, type SourceTree } from './pass-tree.js';
import { formatSummary, summarizePlan } from './summary.js';
import type { Plan } from './types.js';

export interface RenderTextOptions {
  /** ANSI colours (the CLI decides: TTY and no `NO_COLOR`). Default false. */
  readonly color?: boolean;
}

/** Instance names are listed in full up to this many; beyond it: first three, …, last. */
const MAX_LISTED_INSTANCES = 5;
const PROMPT_WIDTH = 60;
/**
 * The tree indents at most this many levels; deeper passes are drawn at that depth. A chain of
 * 12,000 passes (a 0.6 MB recipe) otherwise printed 216 MB of indentation and took 1.2 GB.
 */
const MAX_INDENT_LEVELS = 32;

type Paint = (code: string, text: string) => string;

/** The plan as trees plus a summary line; ends with a newline. */
export function renderPlanText(plan: Plan, options: RenderTextOptions = {}): string {
  const paint: Paint = options.color === true ? (c, t) => `\u001b[${c}m${t}\u001b[0m` : (_c, t) => t;
  const recipeDir = dirname(plan.recipe.file);
  const blocks = passForest(plan).map((tree) => renderTree(tree, recipeDir, paint, plan.recipe.provider).join('\n'));
  if (blocks.length === 0) blocks.push('(no nodes)');
  return `${blocks.join('\n\n')}\n\n${formatSummary(summarizePlan(plan))}\n`;
}

function renderTree(tree: SourceTree, recipeDir: string, paint: Paint, provider: string): string[] {
  const lines = [`${paint('1', tree.source)}  ${describeInputs(tree, recipeDir)}`];
  // Explicit stack: a long chain of passes must not exhaust the call stack.
  const stack = tree.roots.map((b, i, all) => ({ branch: b, indent: '', last: i === all.length - 1 })).reverse();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { branch, indent, last } = item;
    lines.push(`${paint('2', `${indent}${last ? '└─' : '├─'}`)} ${describePass(branch, paint, provider)}`);
    const childIndent = indent.length >= MAX_INDENT_LEVELS * 3 ? indent : `${indent}${last ? '   ' : '│  '}`;
    const kids = branch.children;
    for (let i = kids.length - 1; i >= 0; i--) {
      const child = kids[i];
      if (child !== undefined) stack.push({ branch: child, indent: childIndent, last: i === kids.length - 1 });
    }
  }
  return lines;
}

/** The source's path or URL, or its glob instances (listed when few). */
function describeInputs(tree: SourceTree, recipeDir: string): string {
  const names = tree.instances.filter((i): i is string => i !== null);
  if (names.length === 0) {
    if (tree.input.url !== undefined) return redactUrl(tree.input.url);
    // A file name may hold anything a file system allows, escape sequences included.
    return tree.input.path === undefined ? '' : escapeControls(relative(recipeDir, tree.input.path) || '.');
  }
  const head = `${names.length} instance${names.length === 1 ? '' : 's'}: `;
  if (names.length <= MAX_LISTED_INSTANCES) return head + names.join(', ');
  return `${head}${names.slice(0, 3).join(', ')}, …, ${names[names.length - 1] ?? ''}`;
}

/**
 * `umbrella-blue #1..#3 (pick #2)  seed 42..44  on fal  "She is now holding…"`; below a pick: `shade #2`.
 * The provider is named when it is not the recipe's.
 */
function describePass(b: PassBranch, paint: Paint, provider: string): string {
  const parts = [paint('1', b.pass)];
  const from = b.first.variant ?? 1;
  if (b.variants > 0) parts[0] += ` ${paint('36', from === b.variants ? `#${from}` : `#${from}..#${b.variants}`)}`;
  if (b.picked !== null) parts[0] += ` ${paint('32', `(pick #${b.picked})`)}`;
  const seed = b.first.seed;
  if (seed !== null) {
    const lastSeed = b.ownsVariants && b.variants > 1 ? (seed + b.variants - 1) % 0x1_0000_0000 : null;
    parts.push(paint('36', lastSeed === null ? `seed ${seed}` : `seed ${seed}..${lastSeed}`));
  }
  const own = b.first.provider;
  if (own !== undefined && own !== provider) parts.push(paint('35', `on ${own}`));
  parts.push(paint('2', JSON.stringify(shorten(b.first.prompt, PROMPT_WIDTH))));
  return parts.join('  ');
}

/** Collapse whitespace and cut to `width` columns with an ellipsis, never inside a grapheme (an emoji sequence). */
export function shorten(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return textWidth(flat) <= width ? flat : `${cutToWidth(flat, width).slice(0, -1).trimEnd()}…`;
}
