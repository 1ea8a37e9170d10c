/**
 * How many terminal columns text takes, and cutting it to a width: by grapheme (what a reader sees
 * as one character: an emoji family, a letter with its accent), 2 columns for East Asian wide and
 * fullwidth characters and emoji, 0 for a lone combining mark or format character. A live view
 * that counted code points drew a CJK header over two rows and erased one, leaving a stale line at
 * every redraw; a cut by code point split an emoji sequence, leaving a dangling joiner.
 */

/** Made on first use: making one loads ICU data (~9 ms), which every CLI start paid at import. */
let segmenter: Intl.Segmenter | undefined;
function graphemes(): Intl.Segmenter {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return segmenter;
}

/** Printable ASCII only: one column a character, the common case, no segmenting. */
const ASCII = /^[\x20-\x7e]*$/;
/** Emoji shown as emoji: by default, or asked for with VS16 (U+FE0F). */
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;
/** Marks, format characters (joiners, direction marks) and controls: no column of their own. */
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

/** East Asian Wide and Fullwidth ranges (Unicode's EastAsianWidth.txt, W and F, grouped). */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

/** Columns one grapheme takes in a terminal. */
function graphemeWidth(g: string): number {
  if (ZERO.test(g)) return 0;
  if (EMOJI.test(g)) return 2;
  const cp = g.codePointAt(0) ?? 0;
  for (const [lo, hi] of WIDE) {
    if (cp < lo) return 1;
    if (cp <= hi) return 2;
  }
  return 1;
}

/** Columns `text` takes in a terminal (no escape sequences in it). */
export function textWidth(text: string): number {
  if (ASCII.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes().segment(text)) width += graphemeWidth(segment);
  return width;
}

/** `text`'s graphemes with the columns each takes. */
export function* widthGraphemes(text: string): Generator<{ readonly g: string; readonly width: number }> {
  if (ASCII.test(text)) {
    for (const g of text) yield { g, width: 1 };
    return;
  }
  for (const { segment } of graphemes().segment(text)) yield { g: segment, width: graphemeWidth(segment) };
}

/** `text` cut to at most `width` columns, ending in `…` when cut; never inside a grapheme. */
export function cutToWidth(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const { g, width: w } of widthGraphemes(text)) {
    if (used + w > width - 1) break;
    out += g;
    used += w;
  }
  return `${out}…`;
}

/** `text` padded with spaces to `width` columns (as `padEnd` does by code units). */
export function padToWidth(text: string, width: number): string {
  const pad = width - textWidth(text);
  return pad > 0 ? text + ' '.repeat(pad) : text;
}
