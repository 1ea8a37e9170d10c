/**
 * Text from outside (a server's error message, a status reason) must not drive the terminal:
 * an OSC 8 hyperlink or a `CSI 2J` in an `error_message` would otherwise be obeyed. C0 and
 * C1 control characters other than newline and tab are written out visibly instead (`\x1b`).
 * Names that kontext prints and files (output paths, lock entries, request ids) hold none at
 * all: {@link NO_CONTROL_CHARS}, {@link firstControlChar}. What a recipe's reviewer reads (a
 * prompt, an id, a `save:`) holds neither those nor a bidi control or an invisible character:
 * `firstHiddenChar` in hidden-chars.ts.
 */

// C0 except \t (09) and \n (0a), DEL, and C1.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `s` with every control character except `\n` and `\t` escaped as `\xNN`. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A string with no control character at all (C0, tab and newline included, DEL, C1). */
export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/** The first control character of `s` (any {@link NO_CONTROL_CHARS} refuses) as `U+001B`; null when none. */
export function firstControlChar(s: string): string | null {
  const c = /[\u0000-\u001f\u007f-\u009f]/.exec(s)?.[0];
  return c === undefined ? null : `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
