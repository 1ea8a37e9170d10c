/**
 * The live block of the tty view, as a pure function of the state and the clock: a header
 * with counts and elapsed time, then one line per running node, capped and cut to width.
 */
import { cutToWidth, padToWidth, textWidth } from '../../index.js';
import { truncate, type Style } from './ansi.js';
import { formatDuration } from './duration.js';
import type { LiveState } from './live-state.js';
import { formatCount } from './numbers.js';

/** Running nodes listed at most (the rest become "… and N more"). */
const MAX_NODE_LINES = 8;
const MAX_ID_WIDTH = 32;
const MAX_PHASE_WIDTH = 28;

export interface FrameOptions {
  readonly now: number;
  readonly columns: number;
  readonly rows?: number;
  readonly style: Style;
}

/** Lines of the live block (none when no run is active); each fits in `columns - 1`. */
export function renderFrame(state: LiveState, o: FrameOptions): string[] {
  if (!state.active) return [];
  // Too narrow or short to draw a block that fits (a wider line wraps, and the next redraw erases
  // too few lines, leaving one behind each time): none; the permanent lines still come.
  if (o.columns < MIN_COLUMNS || (o.rows !== undefined && o.rows < 2)) return [];
  // One column spare: a line that exactly fills the terminal wraps early on some of them.
  const width = o.columns - 1;
  // Header, nodes, "… and N more" within rows - 1 (the cursor's line): the header alone under 4.
  const nodes = o.rows !== undefined && o.rows < 4 ? [] : nodeLines(state, o);
  return [headerLine(state, o), ...nodes].map((line) => truncate(line, width));
}

/** A live block needs this many columns at least. */
const MIN_COLUMNS = 12;

function headerLine(state: LiveState, { now, style }: FrameOptions): string {
  const done =
    state.toRun === undefined ? formatCount(state.done) : `${formatCount(state.done)}/${formatCount(state.toRun)}`;
  const parts = [
    state.done > 0 ? style.green(`${done} done`) : `${done} done`,
    `${formatCount(state.running.size)} running`,
    state.failed > 0 ? style.red(`${formatCount(state.failed)} failed`) : `${formatCount(state.failed)} failed`,
    `${formatCount(state.cached)} cached`,
  ];
  // Elapsed time before the counts: on a narrow terminal the counts are what gets cut.
  // One physical line: a tab or newline in the recipe's path (its folder's name) is shown escaped.
  const recipe = (state.recipe || 'kontext').replace(/[\x00-\x1f\x7f]/g, controlWords);
  return `${style.bold(recipe)}  ${formatDuration(now - state.startedAt)}  ${parts.join(' · ')}`;
}

/** `\t`, `\n`, `\x1b`: a control character as text. */
function controlWords(c: string): string {
  if (c === '\t') return '\\t';
  if (c === '\n') return '\\n';
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** The widest string's columns (0 for none), without spreading the list into arguments. */
function longest(list: readonly string[]): number {
  return list.reduce((max, s) => Math.max(max, textWidth(s)), 0);
}

/**
 * A node id cut to `width` columns in the middle of its pass part, so `@instance#k` (what tells
 * sibling nodes apart) stays: `colour-grade-with-a…-long@pet-chelsea#2`. An instance part too long
 * for that is cut at the end.
 */
function cutId(id: string, width: number): string {
  if (textWidth(id) <= width) return id;
  const at = id.search(/[@#]/);
  const tail = at > 0 ? id.slice(at) : '';
  const room = width - textWidth(tail) - 1; // columns left for the pass part's head, before `…`
  if (tail === '' || room < 4) return truncate(id, width);
  return `${cutToWidth(id.slice(0, at), room + 1).replace(/…$/, '')}…${tail}`;
}

function nodeLines(state: LiveState, { now, rows, style }: FrameOptions): string[] {
  const cap = rows === undefined ? MAX_NODE_LINES : Math.max(1, Math.min(MAX_NODE_LINES, rows - 3));
  const nodes = [...state.running.values()];
  const shown = nodes.length > cap ? nodes.slice(0, cap) : nodes;
  const phases = shown.map((n) => (n.retry === undefined ? n.phase : `${n.phase} · ${n.retry}`));
  const idWidth = Math.min(MAX_ID_WIDTH, longest(shown.map((n) => n.id)));
  const phaseWidth = Math.min(MAX_PHASE_WIDTH, longest(phases));
  const lines = shown.map((n, i) => {
    const id = padToWidth(cutId(n.id, idWidth), idWidth);
    const phase = padToWidth(truncate(phases[i] ?? '', phaseWidth), phaseWidth);
    return `  ${id}  ${phase}  ${style.dim(formatDuration(now - n.startedAt))}`;
  });
  if (nodes.length > shown.length) lines.push(style.dim(`  … and ${formatCount(nodes.length - shown.length)} more`));
  return lines;
}
