/**
 * Position of a character inside a string value (prompt lint findings carry a char offset).
 * Exact for literal blocks (`|`) and single-line plain or quoted scalars (escapes such as `\e`,
 * `\u202E` or `''` included: the position is the escape's); anything else (folded, multi-line
 * plain or quoted) gives the value's start.
 */
import { Scalar, isScalar, type Document, type LineCounter } from 'yaml';
import { findNode, type DocPath, type Position } from './locate.js';

export function locateInString(
  doc: Document,
  lines: LineCounter,
  text: string,
  path: DocPath,
  offset: number,
): Position | undefined {
  const found = findNode(doc, path);
  const node = found.node;
  const start = node?.range?.[0];
  if (start === undefined) return undefined;
  const base = lines.linePos(start);
  if (!found.complete || !isScalar(node)) return base;
  const end = node.range?.[1] ?? start;
  const source = text.slice(start, end);
  switch (node.type) {
    case Scalar.BLOCK_LITERAL:
      return inLiteralBlock(text, start, base, String(node.value), offset) ?? base;
    case Scalar.PLAIN:
      return source.includes('\n') ? base : { line: base.line, col: base.col + offset };
    case Scalar.QUOTE_DOUBLE:
    case Scalar.QUOTE_SINGLE:
      return source.includes('\n') ? base : { line: base.line, col: base.col + quotedOffset(source, offset) };
    default:
      return base;
  }
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
/** Hex digits after `\x`, `\u`, `\U`; every other escape is one letter. */
const ESCAPE_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

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
