/**
 * A provider key must be sendable in an HTTP header. One pasted with curly quotes, a line break
 * or a non-ASCII character is refused by the HTTP client before anything is sent, which no
 * error tells from a network failure after sending: the run would call the submit maybe paid and
 * the next run would stop on it. So a key is checked where it is read, and refused as a sign-in
 * problem (exit 77) naming where it came from and the first bad character, never the key itself.
 */
import { AuthError } from '../runcomfy/errors.js';

/** Visible ASCII, no space: what every provider's keys are made of. */
const KEY_CHAR = /^[\x21-\x7e]$/;

/** `key`, unless it holds a character an HTTP header cannot carry; `from`: where it was read (an env name, a file). */
export function checkKeyChars(key: string, from: string, hint: string): string {
  let at = 0;
  for (const ch of key) {
    if (!KEY_CHAR.test(ch)) {
      const code = (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      throw new AuthError(
        `${from} holds a character an HTTP header cannot carry (U+${code} ` +
          `at position ${at + 1}${QUOTES.has(ch) ? ', a curly quote' : ''}); nothing was sent`,
        { hint: `copy the key again without quotes, spaces or line breaks; ${hint}` },
      );
    }
    at++;
  }
  return key;
}

const QUOTES = new Set(['\u2018', '\u2019', '\u201c', '\u201d']);
