/**
 * Checks on the raw text before YAML sees it. The YAML parser happily accepts NUL bytes and
 * replacement characters inside scalars, so a binary file would otherwise surface as a
 * confusing schema error far from the cause.
 */

/** C0 controls other than tab/LF/CR, DEL, U+FFFD (what a lossy UTF-8 decode leaves), U+FFFE/U+FFFF. */
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD\uFFFE\uFFFF]/;

export interface TextIssue {
  readonly offset: number;
  readonly message: string;
}

/** The first character that shows the input is not a UTF-8 text file, if any. */
export function findBinaryContent(text: string): TextIssue | undefined {
  const match = NOT_TEXT.exec(text);
  if (!match) return undefined;
  const ch = match[0];
  const code = ch.charCodeAt(0);
  return { offset: match.index, message: `not a text file: found ${describeCharacter(code)}` };
}

function describeCharacter(code: number): string {
  if (code === 0xfffd) return 'invalid UTF-8';
  if (code === 0) return 'a NUL byte';
  return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The offset of the first line git's merge wrote as a conflict marker (`<<<<<<< ours`, 7 or more
 * `<` at the start of a line, as `conflict-marker-size` may make them), or undefined. Asked only
 * of a text the parser refused: a marker can never be part of a block scalar (its lines are
 * indented), so a valid recipe is never taken for one.
 */
export function conflictMarkerAt(text: string): number | undefined {
  return /^<{7,}(?:[ \t\r]|$)/m.exec(text)?.index;
}
