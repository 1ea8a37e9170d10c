/**
 * Text from outside (a server's error message, a status reason) must not drive the terminal nor
 * be shown in another order than it is: an OSC 8 hyperlink or a `CSI 2J` in an `error_message`
 * would otherwise be obeyed, and a RIGHT-TO-LEFT OVERRIDE would show the words after it
 * reversed. {@link escapeControls} writes them out visibly (`\x1b`, `\u{202E}`).
 * Names that kontext prints and files (output paths, lock entries, request ids) hold none at
 * all: {@link firstControlChar}; nor, as what a recipe's reviewer reads (a prompt, an id, a
 * `save:`), a bidi control or an invisible character: `firstHiddenChar` in hidden-chars.ts.
 */
import { escapeUnseen } from './hidden-chars.js';

/**
 * `s` with every control character except `\n` and `\t` escaped as `\xNN`, and every bidi
 * control and invisible character as `\u{202E}`, but for the marks real writing needs where a
 * prompt may hold them (a ZWJ in an emoji, a ZWNJ in Persian): `escapeUnseen` in hidden-chars.ts.
 */
export function escapeControls(s: string): string {
  return escapeUnseen(s);
}

/** The first control character of `s` (C0, tab and newline included, DEL, C1) as `U+001B`; null when none. */
export function firstControlChar(s: string): string | null {
  const c = /[\u0000-\u001f\u007f-\u009f]/.exec(s)?.[0];
  return c === undefined ? null : `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
