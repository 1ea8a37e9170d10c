/**
 * Text from outside (a server's error message, a status reason) must not drive the terminal:
 * an OSC 8 hyperlink or a `CSI 2J` in an `error_message` would otherwise be obeyed. C0 and
 * C1 control characters other than newline and tab are written out visibly instead (`\x1b`).
 */

// C0 except \t (09) and \n (0a), DEL, and C1.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `s` with every control character except `\n` and `\t` escaped as `\xNN`. */
export function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
