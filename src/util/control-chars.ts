/**
 * Text from outside (a server's error message, a status reason) must not drive the terminal:
 * an OSC 8 hyperlink or a `CSI 2J` in an `error_message` would otherwise be obeyed. C0 and
 * C1 control characters other than newline and tab are written out visibly instead (`\x1b`).
 * Names that kontext prints and files (output paths, lock entries, request ids) hold none at
 * all: {@link NO_CONTROL_CHARS}, {@link firstControlChar}. What a recipe's reviewer reads (a
 * prompt, an id, a `save:`) holds neither those nor a bidi override: {@link firstHiddenChar}.
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

/** Bidi embeddings, overrides and isolates: they reorder what a reader sees (Trojan Source), by name. */
const BIDI: Readonly<Record<string, string>> = {
  '\u202a': 'LEFT-TO-RIGHT EMBEDDING',
  '\u202b': 'RIGHT-TO-LEFT EMBEDDING',
  '\u202c': 'POP DIRECTIONAL FORMATTING',
  '\u202d': 'LEFT-TO-RIGHT OVERRIDE',
  '\u202e': 'RIGHT-TO-LEFT OVERRIDE',
  '\u2066': 'LEFT-TO-RIGHT ISOLATE',
  '\u2067': 'RIGHT-TO-LEFT ISOLATE',
  '\u2068': 'FIRST STRONG ISOLATE',
  '\u2069': 'POP DIRECTIONAL ISOLATE',
};

const HIDING = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** A character that can hide text from whoever reads it: where it is, `U+202E`, and what it is. */
export interface HiddenChar {
  /** Its index in the string (UTF-16 code units). */
  readonly index: number;
  readonly code: string;
  /** `RIGHT-TO-LEFT OVERRIDE`, or `a control character`. */
  readonly what: string;
}

/**
 * The first C0 or C1 control character, DEL, or bidi embedding, override or isolate (U+202A–U+202E,
 * U+2066–U+2069) in `s`: in a prompt sent to the API, it shows the reviewer of a recipe another
 * text than the one sent. `text`: tab, newline and CR LF are a text's own (a prompt); else (an id,
 * a path) they are refused too. Null when there is none.
 */
export function firstHiddenChar(s: string, text: boolean): HiddenChar | null {
  for (const m of s.matchAll(HIDING)) {
    const c = m[0];
    if (text && (c === '\t' || c === '\n' || (c === '\r' && s[m.index + 1] === '\n'))) continue;
    const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return { index: m.index, code, what: BIDI[c] ?? 'a control character' };
  }
  return null;
}
