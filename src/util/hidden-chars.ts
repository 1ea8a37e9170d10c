/**
 * What can make a recipe's reader see another text than the one kontext uses: C0 and C1 control
 * characters, bidi embeddings, overrides and isolates (Trojan Source), and invisible characters
 * (Unicode's Default_Ignorable code points, the line and paragraph separators, the interlinear
 * annotation marks). Three kinds of string (docs/architecture.md#hidden-characters):
 * - a name (an id, a path, a URL, a model, a key): every one of them is refused, since each makes
 *   two names that look the same, or hides a part of one; but a ZWNJ or ZWJ inside a word of a
 *   joining script (between two Arabic, Persian or Indic letters: a Persian folder `می‌خواهم`),
 *   where it changes what is shown;
 * - a script (a hosting command, run by a shell): tab, newline and CR LF are its own, and a
 *   name's ZWNJ or ZWJ, nothing else;
 * - a text (a prompt, a param's string): tab, newline and CR LF are its own, and so are the
 *   invisible characters real text needs: ZWNJ and ZWJ (Persian, Indic scripts, emoji
 *   sequences), the direction marks LRM, RLM and ALM (Arabic, Hebrew), the combining grapheme
 *   joiner, variation selectors (emoji, CJK, Mongolian), and the tag characters of an emoji
 *   subdivision flag (🏴 + a subdivision id + CANCEL TAG). Everything else (a zero-width space, a
 *   word joiner, a BOM, a soft hyphen, a stray tag character smuggling ASCII) is refused.
 */

/** Bidi embeddings, overrides and isolates: they reorder what a reader sees, by name. */
const BIDI: ReadonlyMap<number, string> = new Map([
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
]);

/** Invisible characters a text may hold (never a name). */
const TEXT_MARKS: ReadonlyMap<number, string> = new Map([
  [0x034f, 'COMBINING GRAPHEME JOINER'],
  [0x061c, 'ARABIC LETTER MARK'],
  [0x180b, 'MONGOLIAN FREE VARIATION SELECTOR ONE'],
  [0x180c, 'MONGOLIAN FREE VARIATION SELECTOR TWO'],
  [0x180d, 'MONGOLIAN FREE VARIATION SELECTOR THREE'],
  [0x180f, 'MONGOLIAN FREE VARIATION SELECTOR FOUR'],
  [0x200c, 'ZERO WIDTH NON-JOINER'],
  [0x200d, 'ZERO WIDTH JOINER'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
]);

/** Invisible characters no string of a recipe may hold, by name (the rest of the set is named by range). */
const INVISIBLE: ReadonlyMap<number, string> = new Map([
  [0x00ad, 'SOFT HYPHEN'],
  [0x115f, 'HANGUL CHOSEONG FILLER'],
  [0x1160, 'HANGUL JUNGSEONG FILLER'],
  [0x17b4, 'KHMER VOWEL INHERENT AQ'],
  [0x17b5, 'KHMER VOWEL INHERENT AA'],
  [0x180e, 'MONGOLIAN VOWEL SEPARATOR'],
  [0x200b, 'ZERO WIDTH SPACE'],
  [0x2028, 'LINE SEPARATOR'],
  [0x2029, 'PARAGRAPH SEPARATOR'],
  [0x2060, 'WORD JOINER'],
  [0x2061, 'FUNCTION APPLICATION'],
  [0x2062, 'INVISIBLE TIMES'],
  [0x2063, 'INVISIBLE SEPARATOR'],
  [0x2064, 'INVISIBLE PLUS'],
  [0x206a, 'INHIBIT SYMMETRIC SWAPPING'],
  [0x206b, 'ACTIVATE SYMMETRIC SWAPPING'],
  [0x206c, 'INHIBIT ARABIC FORM SHAPING'],
  [0x206d, 'ACTIVATE ARABIC FORM SHAPING'],
  [0x206e, 'NATIONAL DIGIT SHAPES'],
  [0x206f, 'NOMINAL DIGIT SHAPES'],
  [0x3164, 'HANGUL FILLER'],
  [0xfeff, 'ZERO WIDTH NO-BREAK SPACE, the byte order mark'],
  [0xffa0, 'HALFWIDTH HANGUL FILLER'],
  [0xfff9, 'INTERLINEAR ANNOTATION ANCHOR'],
  [0xfffa, 'INTERLINEAR ANNOTATION SEPARATOR'],
  [0xfffb, 'INTERLINEAR ANNOTATION TERMINATOR'],
  [0xe0001, 'LANGUAGE TAG'],
  [0xe007f, 'CANCEL TAG'],
]);

/** Every candidate: controls, Default_Ignorable (bidi, marks, selectors, tags included), U+2028/9, U+FFF9–FFFB. */
const CANDIDATE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufff9-\ufffb\p{Default_Ignorable_Code_Point}]/gu;
const HAS_CANDIDATE = new RegExp(CANDIDATE.source, 'u');

/**
 * The emoji subdivision flags Unicode recommends (England, Scotland, Wales: 🏴 + the tag letters of
 * gbeng, gbsct, gbwls + CANCEL TAG): their tag characters are text. Any other run of tag letters
 * after 🏴 spells invisible ASCII (`🏴` + "ignore"), and is refused as any tag character is.
 */
const TAG_FLAG = new RegExp(
  `\u{1F3F4}\u{E0067}\u{E0062}(?:${['eng', 'sct', 'wls'].map(tagLetters).join('|')})\u{E007F}`,
  'gu',
);

/** `sct` as tag characters (U+E0073 U+E0063 U+E0074). */
function tagLetters(ascii: string): string {
  return [...ascii].map((c) => String.fromCodePoint(0xe0000 + (c.codePointAt(0) ?? 0))).join('');
}

const ASCII_NAMES: Readonly<Record<string, string>> = {
  ' ': 'SPACE',
  '!': 'EXCLAMATION MARK',
  '"': 'QUOTATION MARK',
  '#': 'NUMBER SIGN',
  $: 'DOLLAR SIGN',
  '%': 'PERCENT SIGN',
  '&': 'AMPERSAND',
  "'": 'APOSTROPHE',
  '(': 'LEFT PARENTHESIS',
  ')': 'RIGHT PARENTHESIS',
  '*': 'ASTERISK',
  '+': 'PLUS SIGN',
  ',': 'COMMA',
  '-': 'HYPHEN-MINUS',
  '.': 'FULL STOP',
  '/': 'SOLIDUS',
  ':': 'COLON',
  ';': 'SEMICOLON',
  '<': 'LESS-THAN SIGN',
  '=': 'EQUALS SIGN',
  '>': 'GREATER-THAN SIGN',
  '?': 'QUESTION MARK',
  '@': 'COMMERCIAL AT',
  '[': 'LEFT SQUARE BRACKET',
  '\\': 'REVERSE SOLIDUS',
  ']': 'RIGHT SQUARE BRACKET',
  '^': 'CIRCUMFLEX ACCENT',
  _: 'LOW LINE',
  '`': 'GRAVE ACCENT',
  '{': 'LEFT CURLY BRACKET',
  '|': 'VERTICAL LINE',
  '}': 'RIGHT CURLY BRACKET',
  '~': 'TILDE',
};
const DIGITS = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];

/** `TAG LATIN SMALL LETTER I`: a tag character is an invisible copy of an ASCII one. */
function tagName(cp: number): string {
  const c = String.fromCharCode(cp - 0xe0000);
  if (/[a-z]/.test(c)) return `TAG LATIN SMALL LETTER ${c.toUpperCase()}`;
  if (/[A-Z]/.test(c)) return `TAG LATIN CAPITAL LETTER ${c}`;
  if (/[0-9]/.test(c)) return `TAG DIGIT ${DIGITS[Number(c)]}`;
  return `TAG ${ASCII_NAMES[c] ?? 'CHARACTER'}`;
}

/** The name of an invisible character (not a control, not a bidi control). */
function invisibleName(cp: number): string {
  const named = TEXT_MARKS.get(cp) ?? INVISIBLE.get(cp);
  if (named !== undefined) return named;
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `VARIATION SELECTOR-${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `VARIATION SELECTOR-${cp - 0xe0100 + 17}`;
  if (cp >= 0xe0020 && cp <= 0xe007e) return tagName(cp);
  return 'an invisible format character';
}

const ZWNJ = 0x200c;
const ZWJ = 0x200d;

/** A variation selector (standard, ideographic, Mongolian free). */
function selector(cp: number): boolean {
  return (
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xe0100 && cp <= 0xe01ef) ||
    (cp >= 0x180b && cp <= 0x180f && cp !== 0x180e)
  );
}

/**
 * Whether the text mark `cp` at `index` sits where writing puts it: right after a visible
 * character, never in a run of marks (a run of joiners or selectors is a known way to smuggle
 * bytes into text: 256 selectors make a byte each). A selector follows a visible character; a
 * joiner follows a visible character or its selector (`❤️‍🔥`) and comes before a visible one;
 * a direction mark or the grapheme joiner follows anything but another mark (an RLM may open
 * a string). At most one mark per visible character, so what is hidden is never more than the
 * visible text's length.
 */
function markFits(s: string, index: number, cp: number): boolean {
  const before = index === 0 ? undefined : lastCodePoint(s, index);
  const after = s.codePointAt(index + (cp > 0xffff ? 2 : 1));
  const markBefore = before !== undefined && textMark(before);
  if (selector(cp)) return before !== undefined && !markBefore;
  if (cp === ZWJ || cp === ZWNJ)
    return (
      before !== undefined &&
      (!markBefore || selector(before)) &&
      after !== undefined &&
      !textMark(after) &&
      !CONTROL_OR_SPACE.test(String.fromCodePoint(after))
    );
  return !markBefore;
}

const CONTROL_OR_SPACE = /[\s\p{Cc}]/u;

/**
 * Scripts whose letters join (Arabic, with Persian and Urdu, Syriac, N'Ko, Mongolian, Mandaic,
 * Adlam, Hanifi Rohingya) or whose conjuncts a joiner shapes after a virama (the Indic scripts):
 * between two of their letters a ZWNJ or ZWJ changes what is shown (`می‌خواهم` is not `میخواهم`).
 */
const JOINING_SCRIPTS = [
  'Arabic',
  'Syriac',
  'Nko',
  'Mongolian',
  'Mandaic',
  'Adlam',
  'Hanifi_Rohingya',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Oriya',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
].map((script) => new RegExp(`^\\p{scx=${script}}$`, 'u'));
const LETTER = /^\p{L}$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;

/**
 * Whether the ZWNJ or ZWJ at `index` of a name or a path sits inside a word of a joining script:
 * after a letter (or its mark: a vowel sign, a virama) and before a letter, both of one script of
 * {@link JOINING_SCRIPTS}. So never at the start or end of a path component, next to ASCII or a
 * separator, doubled, or between two scripts: there it shows as nothing.
 */
function joinerInWord(s: string, index: number): boolean {
  const before = index === 0 ? undefined : lastCodePoint(s, index);
  const after = s.codePointAt(index + 1);
  if (before === undefined || after === undefined) return false;
  const b = String.fromCodePoint(before);
  const a = String.fromCodePoint(after);
  return LETTER_OR_MARK.test(b) && LETTER.test(a) && JOINING_SCRIPTS.some((r) => r.test(b) && r.test(a));
}

/** The code point that ends just before `index`. */
function lastCodePoint(s: string, index: number): number | undefined {
  const low = s.charCodeAt(index - 1);
  const at = low >= 0xdc00 && low <= 0xdfff && index >= 2 ? index - 2 : index - 1;
  return s.codePointAt(at);
}

/** A character a text may hold: see the file's comment. */
function textMark(cp: number): boolean {
  return TEXT_MARKS.has(cp) || selector(cp);
}

/** Whether `s` holds nothing a name may not (see {@link firstHiddenChar}); a plain string is told apart by one test. */
export function isPlainName(s: string): boolean {
  return !HAS_CANDIDATE.test(s) || firstHiddenChar(s, 'name') === null;
}

/** A character that can hide text from whoever reads it: where it is, `U+202E`, and what it is. */
export interface HiddenChar {
  /** Its index in the string (UTF-16 code units). */
  readonly index: number;
  /** `U+202E`, `U+E0041`. */
  readonly code: string;
  /** `RIGHT-TO-LEFT OVERRIDE`, `ZERO WIDTH SPACE`, or `a control character`. */
  readonly what: string;
  readonly kind: 'control' | 'bidi' | 'invisible';
}

/** Index ranges of emoji subdivision flags in `s`: their tag characters are a text's own. */
function flagRanges(s: string): [number, number][] {
  if (!s.includes('\u{1F3F4}')) return [];
  return [...s.matchAll(TAG_FLAG)].map((m) => [m.index, m.index + m[0].length]);
}

/** What a string is, for what it may hold: see the file's comment. */
export type StringKind = 'name' | 'script' | 'text';

/**
 * The first character of `s` that can hide text from its reader (see the file's comment), or
 * null. A `text` (a prompt, a param's string) may hold tab, newline, CR LF and the invisible
 * characters real writing needs; a `script` the line breaks and tab only; a `name` none of them.
 */
export function firstHiddenChar(s: string, kind: StringKind): HiddenChar | null {
  const flags = kind === 'text' ? flagRanges(s) : [];
  for (const m of s.matchAll(CANDIDATE)) {
    const c = m[0];
    const cp = c.codePointAt(0) ?? 0;
    if (kind !== 'name' && (c === '\t' || c === '\n' || (c === '\r' && s[m.index + 1] === '\n'))) continue;
    if (kind !== 'text' && (cp === ZWJ || cp === ZWNJ) && joinerInWord(s, m.index)) continue;
    const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    if (kind === 'text' && textMark(cp)) {
      if (markFits(s, m.index, cp)) continue;
      return { index: m.index, code, what: `${invisibleName(cp)}, out of place`, kind: 'invisible' };
    }
    if (flags.some(([from, to]) => m.index >= from && m.index < to)) continue;
    const bidi = BIDI.get(cp);
    if (bidi !== undefined) return { index: m.index, code, what: bidi, kind: 'bidi' };
    if (cp < 0xa0) return { index: m.index, code, what: 'a control character', kind: 'control' };
    return { index: m.index, code, what: invisibleName(cp), kind: 'invisible' };
  }
  return null;
}

/**
 * `s` safe to print where a person reads it (a server's error message, a status reason): what a
 * text may not hold is written out, a control character as `\x1b` (tab and newline kept: a path or
 * a name is {@link escapeName}'s, which writes them out too),
 * a bidi control or an invisible character as `\u{202E}`, so a hostile message can neither drive
 * the terminal nor show its words in another order than they are; the marks writing needs (a
 * ZWJ in an emoji, a ZWNJ in Persian, an RLM, a flag's tag characters) stay where a text may hold
 * them, so real text prints as it is. `escapeControls` (control-chars.ts) is this.
 */
export function escapeUnseen(s: string): string {
  if (!HAS_CANDIDATE.test(s)) return s;
  const flags = flagRanges(s);
  return s.replace(CANDIDATE, (c: string, index: number) => {
    const cp = c.codePointAt(0) ?? 0;
    if (c === '\n' || c === '\t') return c;
    if (cp < 0xa0) return `\\x${cp.toString(16).padStart(2, '0')}`;
    if (textMark(cp) ? markFits(s, index, cp) : flags.some(([from, to]) => index >= from && index < to)) return c;
    return `\\u{${cp.toString(16).toUpperCase()}}`;
  });
}

/**
 * `s` with every bidi control and invisible character written as `\u{…}`, for a message that must
 * quote a name holding one (a key in a path label, a source name in a list). Control characters
 * are left to `escapeControls` (control-chars.ts), which every printer applies.
 */
export function escapeHidden(s: string): string {
  return s.replace(CANDIDATE, (c: string, index: number) => {
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 0xa0 || ((cp === ZWJ || cp === ZWNJ) && joinerInWord(s, index))) return c;
    return `\\u{${cp.toString(16).toUpperCase()}}`;
  });
}

/**
 * A name or a path (a file a glob or a listing found, a value typed on the command line) safe to
 * print inside a one-line message or a listing: every control character written out, tab, newline
 * and CR too (`\x09`, `\x0a`, `\x0d`: a file named `x\nFORGED: ok.jpg` must not print a line of
 * its own), and every bidi control and invisible character as `\u{202E}`, but a ZWNJ or ZWJ inside
 * a word of a joining script, as a name may hold them (see the file's comment).
 */
export function escapeName(s: string): string {
  if (!HAS_CANDIDATE.test(s)) return s;
  return s.replace(CANDIDATE, (c: string, index: number) => {
    const cp = c.codePointAt(0) ?? 0;
    if (cp < 0xa0) return `\\x${cp.toString(16).padStart(2, '0')}`;
    if ((cp === ZWJ || cp === ZWNJ) && joinerInWord(s, index)) return c;
    return `\\u{${cp.toString(16).toUpperCase()}}`;
  });
}
