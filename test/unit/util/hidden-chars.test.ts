/** firstHiddenChar: what can hide text from a recipe's reviewer, and what a prompt (a text) may hold. */
import { describe, expect, it } from 'vitest';
import { escapeControls } from '../../../src/util/control-chars.js';
import { escapeHidden, escapeName, firstHiddenChar } from '../../../src/util/hidden-chars.js';

/** "I want" in Persian: the ZWNJ after the prefix می is how it is written. */
const PERSIAN = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645';
const TAG_FLAG_SCOTLAND = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}';
const TAG_FLAG_ENGLAND = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}';
const TAG_FLAG_WALES = '\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}';
/** 🏴 + the tag letters of "ignore" + CANCEL TAG: flag-shaped, no flag. */
const FAKE_FLAG = '\u{1F3F4}\u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}\u{E007F}';

describe('firstHiddenChar', () => {
  it.each([
    ['tab, newline and CR LF in a text', 'a\tb\nc\r\nd', true, null],
    ['a lone CR in a text', 'a\r b', true, 'U+000D@1'],
    ['a tab in a name', 'a\tb', false, 'U+0009@1'],
    ['ESC', 'x\u001b[2J', true, 'U+001B@1'],
    ['DEL and C1', '\u007f\u009b', true, 'U+007F@0'],
    ['a bidi override after an astral character (UTF-16 index)', '😀\u202Ex', true, 'U+202E@2'],
    ['a bidi isolate', 'x\u2069', false, 'U+2069@1'],
    // Invisible characters no string may hold.
    ['a zero-width space in a text', 'a\u200Bb', true, 'U+200B@1'],
    ['a word joiner in a text', 'ab\u2060', true, 'U+2060@2'],
    ['an invisible plus in a text', 'a\u2064', true, 'U+2064@1'],
    ['a BOM inside a text', 'a\uFEFFb', true, 'U+FEFF@1'],
    ['a line separator in a text', 'a\u2028b', true, 'U+2028@1'],
    ['a paragraph separator in a text', 'a\u2029b', true, 'U+2029@1'],
    ['a soft hyphen in a text', 'ca\u00ADt', true, 'U+00AD@2'],
    ['a Mongolian vowel separator in a text', 'a\u180Eb', true, 'U+180E@1'],
    ['a Hangul filler in a text', 'a\u3164b', true, 'U+3164@1'],
    ['a tag character (ASCII smuggled) in a text', 'hat\u{E0069}\u{E0067}', true, 'U+E0069@3'],
    ['a tag run after 🏴 without CANCEL TAG', '\u{1F3F4}\u{E0067}\u{E0062}x', true, 'U+E0067@2'],
    // What writing needs, allowed in a text only.
    [
      'ZWJ and ZWNJ in a text (emoji, Persian)',
      '👩\u200D💻 \u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645',
      true,
      null,
    ],
    ['LRM, RLM and ALM in a text', 'a\u200Eb\u200Fc\u061Cd', true, null],
    ['variation selectors in a text', '\u2764\uFE0F \u{845B}\u{E0100} \u1820\u180B', true, null],
    ['a combining grapheme joiner in a text', 'a\u034Fb', true, null],
    ['an emoji subdivision flag (tag characters) in a text', `Add a ${TAG_FLAG_SCOTLAND} flag`, true, null],
    ['the flags of England and Wales too', `${TAG_FLAG_ENGLAND} and ${TAG_FLAG_WALES}`, true, null],
    ['emoji sequences: a selector before a ZWJ, a keycap', '\u2764\uFE0F\u200D\u{1F525} 1\uFE0F\u20E3', true, null],
    ['an RLM opening an RTL text', '\u200F\u05E9\u05DC\u05D5\u05DD', true, null],
    // Marks where no writing puts them: a run of them carries bytes (a selector each, a bit a joiner).
    ['🏴 + tag letters that are no flag (invisible "ignore")', FAKE_FLAG, true, 'U+E0069@2'],
    ['two variation selectors in a row', 'a\uFE0F\uFE0E', true, 'U+FE0E@2'],
    ['a run of ideographic selectors', '\u{845B}\u{E0100}\u{E0101}\u{E0102}', true, 'U+E0101@3'],
    ['a selector opening a text', '\uFE0Fa', true, 'U+FE0F@0'],
    ['two joiners in a row', 'a\u200D\u200Cb', true, 'U+200D@1'],
    ['a joiner at the end', 'ab\u200C', true, 'U+200C@2'],
    ['a joiner before a space', 'a\u200D b', true, 'U+200D@1'],
    ['two direction marks in a row', 'a\u200E\u200Fb', true, 'U+200F@2'],
    ['ZWJ in a name', 'a\u200Db', false, 'U+200D@1'],
    ['ZWNJ in a name', 'a\u200Cb', false, 'U+200C@1'],
    ['LRM in a name', 'a\u200E', false, 'U+200E@1'],
    ['ALM in a name', '\u061Ca', false, 'U+061C@0'],
    ['a variation selector in a name', '\u2764\uFE0F', false, 'U+FE0F@1'],
    ["a flag's tag characters in a name", TAG_FLAG_SCOTLAND, false, 'U+E0067@2'],
    ['a zero-width space in a name', 'out/a\u200B', false, 'U+200B@5'],
    ['printable non-ASCII is not hidden', 'café 東京 ❤ مرحبا', false, null],
    // A name's ZWNJ/ZWJ inside a word of a joining script is writing; anywhere else it shows as nothing.
    ['a Persian ZWNJ in a path component', `out/${PERSIAN}/x.png`, false, null],
    ['a ZWNJ after an Arabic vowel sign', '\u0628\u064E\u200C\u062A', false, null],
    ['a Devanagari half form: ZWJ after a virama', '\u0915\u094D\u200D\u0937', false, null],
    ['a Sinhala ZWJ (ශ්‍රී)', '\u0DC1\u0DCA\u200D\u0DBB\u0DD3', false, null],
    ['a ZWNJ opening a component', `out/\u200C${PERSIAN}`, false, 'U+200C@4'],
    ['a ZWNJ closing a component', `\u0645\u06CC\u200C/x`, false, 'U+200C@2'],
    ['a ZWNJ after ASCII', 'a\u200C\u062E', false, 'U+200C@1'],
    ['a ZWNJ before ASCII', '\u06CC\u200Ca', false, 'U+200C@1'],
    ['two ZWNJ in a Persian word', '\u06CC\u200C\u200C\u062E', false, 'U+200C@1'],
    ['a ZWNJ between two scripts', '\u06CC\u200C\u0915', false, 'U+200C@1'],
    ['a ZWNJ after an Arabic digit', '\u0663\u200C\u062E', false, 'U+200C@1'],
    ['an emoji ZWJ in a name', '👩\u200D💻', false, 'U+200D@2'],
    ['a ZWNJ between Latin letters in a name', 'ab\u200Ccd', false, 'U+200C@2'],
  ] as const)('%s', (_name, text, isText, expected) => {
    const hidden = firstHiddenChar(text, isText ? 'text' : 'name');
    expect(hidden === null ? null : `${hidden.code}@${hidden.index}`).toBe(expected);
  });

  it('names each character and its kind', () => {
    expect(firstHiddenChar('\u202D', 'text')).toMatchObject({ what: 'LEFT-TO-RIGHT OVERRIDE', kind: 'bidi' });
    expect(firstHiddenChar('\u0007', 'text')).toMatchObject({ what: 'a control character', kind: 'control' });
    const named = (s: string) => firstHiddenChar(s, 'name')?.what;
    expect(named('\u200B')).toBe('ZERO WIDTH SPACE');
    expect(named('\uFEFF')).toBe('ZERO WIDTH NO-BREAK SPACE, the byte order mark');
    expect(named('\u200D')).toBe('ZERO WIDTH JOINER');
    expect(named('\uFE0F')).toBe('VARIATION SELECTOR-16');
    expect(firstHiddenChar('a\u200D\u200Db', 'text')?.what).toBe('ZERO WIDTH JOINER, out of place');
    expect(named('\u{E0100}')).toBe('VARIATION SELECTOR-17');
    expect(named('\u{E0041}')).toBe('TAG LATIN CAPITAL LETTER A');
    expect(named('\u{E0069}')).toBe('TAG LATIN SMALL LETTER I');
    expect(named('\u{E0031}')).toBe('TAG DIGIT ONE');
    expect(named('\u{E0020}')).toBe('TAG SPACE');
    expect(named('\u{E007F}')).toBe('CANCEL TAG');
    expect(firstHiddenChar('\u{E0041}', 'name')?.kind).toBe('invisible');
  });

  it('a script (the upload command) holds tab, newline and CR LF, and nothing else', () => {
    expect(firstHiddenChar('set -e\n\tup "$KONTEXT_FILE"\r\n', 'script')).toBeNull();
    expect(firstHiddenChar('up\r x', 'script')?.code).toBe('U+000D');
    expect(firstHiddenChar('up \u200D', 'script')?.code).toBe('U+200D');
    expect(firstHiddenChar('up \u200E', 'script')?.code).toBe('U+200E');
    expect(firstHiddenChar(`up "${PERSIAN}"`, 'script')).toBeNull();
  });

  it('escapeHidden writes bidi and invisible characters out', () => {
    expect(escapeHidden('a\u200Bb\u202E\u{E0041}')).toBe('a\\u{200B}b\\u{202E}\\u{E0041}');
    // Control characters are escapeControls' (`\x1b`), which every printer applies.
    expect(escapeHidden('a\u001b\tb')).toBe('a\u001b\tb');
    // A name's ZWNJ inside a Persian word is writing, not hidden.
    expect(escapeHidden(`${PERSIAN}\u200C`)).toBe(`${PERSIAN}\\u{200C}`);
  });

  it.each([
    ['controls as \\xNN, tab and newline kept', 'a\u001b[2J\r\tb\nc\u009b', 'a\\x1b[2J\\x0d\tb\nc\\x9b'],
    ['a bidi override and isolate', 'x\u202Eab\u2066c\u2069', 'x\\u{202E}ab\\u{2066}c\\u{2069}'],
    ['a zero-width space, a BOM, tag letters', 'a\u200Bb\uFEFF\u{E0069}', 'a\\u{200B}b\\u{FEFF}\\u{E0069}'],
    [
      'emoji ZWJ, Persian ZWNJ, an RLM, a selector, a flag: kept',
      `👩\u200D💻 \u0645\u06CC\u200C\u062E \u200F\u05E9 \u2764\uFE0F ${TAG_FLAG_WALES}`,
      null,
    ],
    [
      'marks out of place: a joiner run, a selector run',
      'a\u200D\u200Db \u2764\uFE0F\uFE0E',
      'a\\u{200D}\\u{200D}b \u2764\uFE0F\\u{FE0E}',
    ],
  ])('escapeControls: %s', (_what, text, expected) => {
    expect(escapeControls(text)).toBe(expected ?? text);
  });
});

describe('escapeName: a path or a name on one line', () => {
  it.each([
    ['a plain name', 'in/photo 1.jpg', 'in/photo 1.jpg'],
    ['LF, CR and TAB written out', 'in/a\nFORGED: b\r\tc.jpg', 'in/a\\x0aFORGED: b\\x0d\\x09c.jpg'],
    ['ESC and C1', 'x\u001b[2J\u009b.jpg', 'x\\x1b[2J\\x9b.jpg'],
    ['a bidi override and a zero-width space', 'a\u202Egpj.exe\u200B', 'a\\u{202E}gpj.exe\\u{200B}'],
    ['a joiner in a Persian word kept', `${PERSIAN}.jpg`, `${PERSIAN}.jpg`],
    [
      'a joiner in an emoji is a text mark, not a name',
      '\u2764\uFE0F\u200D\u{1F525}',
      '\u2764\\u{FE0F}\\u{200D}\u{1F525}',
    ],
  ])('%s', (_what, name, expected) => {
    expect(escapeName(name)).toBe(expected);
  });
});
