/**
 * Position of a character inside a string value (prompt lint findings and hidden characters carry
 * a char offset), in every scalar style: literal (`|`) and folded (`>`) blocks with any chomping
 * or indentation indicator, plain and quoted scalars over one line or several, escapes (`\e`,
 * `\u202E`, `\L`, `''`, an escaped line break) included: the position is the escape's.
 *
 * Folding changes only spaces, tabs and line breaks, so every other character of the value is
 * written in the source in the same order: the k-th such character of the value is the k-th of
 * the source (escapes decoded), which is exact. A tab or line break of the value (only a name
 * refuses one) may be one the folding made or moved: it is placed at the first such character
 * of the source after the visible character before it, which is exact on one line and in a
 * literal block, and in a folded or multi-line scalar the nearest certain position (the line
 * it is on may be one of the folded lines after that character). Anything else gives the
 * value's start.
 */
import { Scalar, isScalar, type Document, type LineCounter } from 'yaml';
import { findNode, type DocPath, type Position } from './locate.js';

/** What folding may add, drop or change. */
const FOLDABLE = /^[ \t\r\n]$/;

export function locateInString(
  doc: Document,
  lines: LineCounter,
  text: string,
  path: DocPath,
  offset: number,
  options: { readonly key?: boolean } = {},
): Position | undefined {
  const found = findNode(doc, path);
  const node = options.key === true && found.complete && found.key !== null ? found.key : found.node;
  const start = node?.range?.[0];
  if (start === undefined) return undefined;
  const base = lines.linePos(start);
  if (!found.complete || !isScalar(node)) return base;
  const end = node.range?.[1] ?? start;
  const source = text.slice(start, end);
  const value = String(node.value);
  const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
  if (!block && !source.includes('\n')) {
    if (node.type === Scalar.PLAIN) return { line: base.line, col: base.col + offset };
    if (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE)
      return { line: base.line, col: base.col + quotedOffset(source, offset) };
    return base;
  }
  const target = value[offset];
  if (target === undefined) return base;
  if (node.type === Scalar.BLOCK_LITERAL && FOLDABLE.test(target))
    return inLiteralBlock(text, start, base, value, offset) ?? base;
  const at = sourceIndex(source, node.type, value, offset);
  return at === undefined ? base : lines.linePos(start + at);
}

/** One UTF-16 unit of the value and where the source writes it (an escape: its backslash). */
interface Unit {
  readonly at: number;
  readonly unit: string;
}

/** Single-letter escapes of a double-quoted scalar (YAML 1.2, 5.7). */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\u0000',
  a: '\u0007',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\u001b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** Hex digits after `\x`, `\u`, `\U`; every other escape is one letter. */
const ESCAPE_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** The units a scalar's source writes, escapes decoded (a block's header line and a quote skipped). */
function* units(source: string, type: Scalar['type']): Generator<Unit> {
  const double = type === Scalar.QUOTE_DOUBLE;
  const single = type === Scalar.QUOTE_SINGLE;
  let at = type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED ? source.indexOf('\n') + 1 : 0;
  if (double || single) at = 1;
  while (at < source.length) {
    const c = source[at] ?? '';
    if (double && c === '\\') {
      const e = source[at + 1] ?? '';
      if (e === '\n' || e === '\r') {
        // An escaped line break: nothing of the value.
        at += e === '\r' && source[at + 2] === '\n' ? 3 : 2;
        continue;
      }
      const digits = ESCAPE_DIGITS[e] ?? 0;
      const decoded =
        digits === 0
          ? (ESCAPES[e] ?? e)
          : String.fromCodePoint(Number.parseInt(source.slice(at + 2, at + 2 + digits), 16) || 0);
      for (const unit of decoded.split('')) yield { at, unit };
      at += 2 + digits;
    } else if (single && c === "'" && source[at + 1] === "'") {
      yield { at, unit: "'" };
      at += 2;
    } else {
      yield { at, unit: c };
      at += 1;
    }
  }
}

const visibleCount = (s: string): number => s.split('').filter((u) => !FOLDABLE.test(u)).length;

/** Where the source writes the value's unit at `offset` (see the file's comment); undefined when unsure. */
function sourceIndex(source: string, type: Scalar['type'], value: string, offset: number): number | undefined {
  const target = value[offset];
  const before = visibleCount(value.slice(0, offset));
  let seen = 0;
  for (const { at, unit } of units(source, type)) {
    const visible = !FOLDABLE.test(unit);
    if (seen === before && unit === target) return at;
    if (visible && ++seen > before) return undefined;
  }
  return undefined;
}

/** Literal block: content starts on the line after the `|` header, at the block's indent. */
function inLiteralBlock(
  text: string,
  start: number,
  header: Position,
  value: string,
  offset: number,
): Position | undefined {
  const bodyStart = text.indexOf('\n', start) + 1;
  if (bodyStart === 0) return undefined;
  const leading = /(?:[ ]*\r?\n)*([ ]*)/y;
  leading.lastIndex = bodyStart;
  const indent = leading.exec(text)?.[1]?.length ?? 0;
  const before = value.slice(0, Math.max(0, Math.min(offset, value.length)));
  const newlines = before.split('\n').length - 1;
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: header.line + 1 + newlines, col: indent + 1 + (before.length - lineStart) };
}

/**
 * Where the value's character at `offset` is written in a one-line quoted scalar (`source`, quotes
 * included): an escape (`\x1b`, `\u202E`, `\U0001F600`, `\e`, `''`) is one character of the
 * value, two for an astral `\U`, as the value's string counts them.
 */
function quotedOffset(source: string, offset: number): number {
  const double = source.startsWith('"');
  let at = 1;
  for (let v = 0; v < offset && at < source.length - 1; ) {
    const c = source[at];
    if (double && c === '\\') {
      const digits = ESCAPE_DIGITS[source[at + 1] ?? ''] ?? 0;
      const code = digits === 0 ? 0 : Number.parseInt(source.slice(at + 2, at + 2 + digits), 16);
      v += code > 0xffff ? 2 : 1;
      at += 2 + digits;
    } else if (!double && c === "'" && source[at + 1] === "'") {
      v += 1;
      at += 2;
    } else {
      v += 1;
      at += 1;
    }
  }
  return at;
}
