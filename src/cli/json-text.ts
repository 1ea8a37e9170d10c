/**
 * The text of every `--json` output: `JSON.stringify`, with DEL, C1, bidi controls and invisible
 * characters written as `\uXXXX` escapes (JSON escapes C0 itself). A parser gets the same strings
 * (a server's message, a file name) exactly; a terminal showing the line gets nothing to obey or
 * to show in another order (docs/architecture.md#hidden-characters).
 */

/** DEL and C1, and what can hide or reorder text (bidi controls, Default_Ignorable, U+2028/9, U+FFF9–FFFB). */
const UNSEEN = /[\u007f-\u009f\u2028\u2029\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/gu;

/** An astral character (a tag) is two code units, each written as its own escape. */
function escapeUnits(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** `JSON.stringify(value, null, indent)` with {@link UNSEEN} characters escaped (same value once parsed). */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSEEN, escapeUnits);
}
