/**
 * Rule cases (rules.test.ts runs them): every string a recipe writes is checked for hidden
 * characters, not only prompts and names: sources (paths, globs, URLs) and their names, `from:`,
 * `pick:` written as a string, `params` (keys as names, strings as texts), `model`, `provider`,
 * `hosting:` (its command a script: line breaks allowed), `cache.remote`, unknown keys; and
 * invisible characters (U+200B, U+2060–2064, U+FEFF, U+2028/9, U+00AD, U+180E, tag characters;
 * ZWJ, ZWNJ, direction marks and variation selectors in names) by class and field.
 */
import { hiddenText } from '../../../src/recipe/rules/hidden-text.js';
import { withHead as p, type RuleCase } from './rule-context.js';

const rule = hiddenText;
const ZW = '\u200B';
const ZWJ = '\u200D';

/** One pass (line 5) whose prompt is `prompt` as written (line 6, the value at col 13). */
const prompted = (prompt: string): string => p(`  - id: a\n    prompt: ${prompt}\n`);
/** A one-pass recipe whose pass adds `extra` lines (from line 7). */
const pass = (extra: string): string => p(`  - id: a\n    prompt: x\n${extra}`);

export const HIDDEN_FIELD_CASES: readonly RuleCase[] = [
  {
    name: 'sources: a zero-width space in a glob',
    rule,
    text: `version: 1\nsources:\n  photo: "shots/*${ZW}.jpg"\n`,
    expect: ['invisible-character@3:18'],
    message: 'sources.photo: source holds U+200B (ZERO WIDTH SPACE), an invisible character',
  },
  {
    name: 'sources: a soft hyphen in a URL host, as an escape',
    rule,
    text: 'version: 1\nsources:\n  photo: "https://exam\\u00ADple.com/a.jpg"\n',
    expect: ['invisible-character@3:23'],
    message: 'U+00AD (SOFT HYPHEN)',
  },
  {
    name: 'sources: a bidi override in a path',
    rule,
    text: 'version: 1\nsources:\n  photo: "a\\u202Egpj.exe"\n',
    expect: ['control-character@3:12'],
  },
  {
    name: 'sources: a source named prompt is a name all the same',
    rule,
    text: `version: 1\nsources:\n  prompt: "a${ZWJ}.jpg"\n`,
    expect: ['invisible-character@3:13'],
  },
  {
    name: 'source name: a ZWJ in the key, at the key',
    rule,
    text: `version: 1\nsources:\n  pho${ZWJ}to: a.jpg\n`,
    expect: ['invisible-character@3:6'],
    message: 'sources: source name holds U+200D (ZERO WIDTH JOINER)',
  },
  { name: 'from: a word joiner', rule, text: pass('    from: "photo\\u2060"\n'), expect: ['invisible-character@7:17'] },
  {
    name: 'a key named like an object method is named as a value, not by the method',
    rule,
    text: pass(`    toString: "a${ZW}b"\n`),
    expect: ['invisible-character@7:17'],
    message: 'toString: value holds U+200B (ZERO WIDTH SPACE)',
  },
  {
    name: 'from: ZWSP before a variant',
    rule,
    text: pass(`    from: a#${ZW}2\n`),
    expect: ['invisible-character@7:13'],
  },
  {
    name: 'pick: written as a string',
    rule,
    text: pass('    pick: "2\\uFEFF"\n'),
    expect: ['invisible-character@7:13'],
  },
  {
    name: 'params: a string is a text (ZWSP refused, ZWJ kept), a key is a name',
    rule,
    text: pass(`    params:\n      output_format: "png${ZW}"\n      note: "👩${ZWJ}💻"\n      a${ZWJ}b: 1\n`),
    expect: ['invisible-character@8:26', 'invisible-character@10:8'],
    message: 'passes[0].params.output_format: param holds U+200B',
  },
  {
    name: 'params: a tag character deep in a list of defaults',
    rule,
    text: 'version: 1\ndefaults:\n  params:\n    x: [a, "b\\U000E0041"]\n',
    expect: ['invisible-character@4:14'],
    message: 'U+E0041 (TAG LATIN CAPITAL LETTER A)',
  },
  {
    name: 'model and provider: at the recipe, in defaults and in a pass',
    rule,
    text:
      `version: 1\nmodel: "flux-kontext-pro${ZW}"\nprovider: "runcomfy\\u00AD"\n` +
      `defaults:\n  model: "a${ZWJ}"\npasses:\n  - id: a\n    prompt: x\n    provider: "\\u2060bfl"\n`,
    expect: [
      'invisible-character@2:25',
      'invisible-character@3:20',
      'invisible-character@5:12',
      'invisible-character@9:16',
    ],
    message: 'model: model holds U+200B',
  },
  {
    name: 'hosting: a bidi control in an argument of the upload command',
    rule,
    text: 'version: 1\nhosting:\n  mode: command\n  command: [up, "x\\u2066y"]\n',
    expect: ['control-character@4:19'],
    message: 'hosting.command[1]: hosting setting holds U+2066',
  },
  {
    name: 'hosting: the upload command is a script: lines and tabs are its own, in a string or an argv',
    rule,
    text:
      'version: 1\nhosting:\n  mode: command\n  command: |\n    set -e\n' +
      '    rclone copyto "$KONTEXT_FILE" "r:b/$KONTEXT_SHA256"\n    \techo https://cdn/x\n',
    expect: [],
  },
  {
    name: 'hosting: a ZWJ in the upload command, an argv with a newline',
    rule,
    text: `version: 1\nhosting:\n  mode: command\n  command: [sh, -c, "up\\n${ZWJ}x"]\n`,
    expect: ['invisible-character@4:26'],
    message: 'the command run is not the one you read',
  },
  {
    name: 'hosting and cache: ZWSP in a bucket, a BOM in the remote',
    rule,
    text: `version: 1\nhosting:\n  mode: s3\n  bucket: "b${ZW}"\ncache:\n  remote: "s3://bucket/a\\uFEFF"\n`,
    expect: ['invisible-character@4:13', 'invisible-character@6:25'],
  },
  {
    name: 'an unknown key: at the character in the key',
    rule,
    text: pass(`    pro${ZW}mpt: y\n`),
    expect: ['invisible-character@7:8'],
    message: 'passes[0]: key holds U+200B',
  },
  {
    name: 'prompt: the characters that hide or split words',
    rule,
    text: p(
      [
        '"a\\u200Bb"',
        '"a\\u2060b"',
        '"a\\u2063b"',
        '"a\\uFEFFb"',
        '"a\\Lb"',
        '"a\\u2029b"',
        '"a\\u00ADb"',
        '"a\\u180Eb"',
      ]
        .map((prompt, i) => `  - id: p${i}\n    prompt: ${prompt}\n`)
        .join(''),
    ),
    expect: Array.from({ length: 8 }, (_, i) => `invisible-character@${6 + 2 * i}:15`),
    message: 'prompt holds U+200B (ZERO WIDTH SPACE), an invisible character that can hide or split words',
    hint: 'ZWJ, ZWNJ, direction marks and variation selectors are fine',
  },
  {
    name: 'prompt: ASCII smuggled in tag characters',
    rule,
    text: prompted('"Add a hat.\\U000E0069\\U000E0067\\U000E006E"'),
    expect: ['invisible-character@6:24'],
    message: 'U+E0069 (TAG LATIN SMALL LETTER I)',
  },
  {
    name: 'prompt: ZWJ, ZWNJ, LRM, RLM, ALM, variation selectors and a subdivision flag are text',
    rule,
    text: prompted(
      '"👩\\u200D💻 \\u0645\\u06CC\\u200C\\u062E \\u200Ea\\u200Fb\\u061Cc ❤\\uFE0F ' +
        '\\U0001F3F4\\U000E0067\\U000E0062\\U000E0073\\U000E0063\\U000E0074\\U000E007F"',
    ),
    expect: [],
  },
  {
    name: 'names and paths: ZWJ, a direction mark, a variation selector',
    rule,
    text:
      `version: 1\nname: "r${ZWJ}"\nout: "out/\\u200E"\nsources:\n  photo: a.jpg\npasses:\n` +
      '  - id: "a\\u200C"\n    prompt: x\n    save: "❤\\uFE0F/{source}.{ext}"\n',
    expect: [
      'invisible-character@2:9',
      'invisible-character@3:11',
      'invisible-character@7:11',
      'invisible-character@9:13',
    ],
    message: 'name: name holds U+200D (ZERO WIDTH JOINER), an invisible character',
    hint: 'used as written, not as shown',
  },
  {
    name: 'prompt: ZWSP in a folded block, at its own line',
    rule,
    text: prompted(`>\n      Keep the face.\n\n      Add a${ZW} hat.\n`),
    expect: ['invisible-character@9:12'],
  },
  {
    name: 'prompt: an escape on the second line of a quoted prompt',
    rule,
    text: prompted('"Keep the face.\n      Add a \\u2060hat."'),
    expect: ['invisible-character@7:13'],
  },
  {
    name: 'a BOM only as the first character of the file is no finding',
    rule,
    text: `\uFEFF${prompted('x')}`,
    expect: [],
  },
];
