import { describe, expect, it } from 'vitest';
import { locatePath } from '../../../src/recipe/yaml/locate.js';
import { MAX_ALIAS_TOKENS, parseRecipeYaml } from '../../../src/recipe/yaml/parse.js';
import { locateInString } from '../../../src/recipe/yaml/scalar-offset.js';

function firstIssue(text: string): string {
  const r = parseRecipeYaml(text);
  if (r.ok) return 'ok';
  const issue = r.issues[0];
  if (!issue) return 'none';
  const pos = r.lines.linePos(issue.offset);
  return `${issue.code}@${pos.line}:${pos.col}`;
}

describe('parseRecipeYaml: one clear error per broken file', () => {
  it.each([
    ['empty file', '', 'yaml-empty@1:1'],
    ['only comments', '# nothing here\n\n', 'yaml-empty@1:1'],
    ['not a mapping', '- a\n- b\n', 'yaml-not-mapping@1:1'],
    ['a scalar', 'hello', 'yaml-not-mapping@1:1'],
    ['duplicate key', 'version: 1\npasses:\n  - id: a\n    prompt: x\n    prompt: y\n', 'yaml-duplicate-key@5:5'],
    ['tab indentation', 'version: 1\npasses:\n\t- id: a\n', 'yaml-tab@3:1'],
    // walk-r 5: two raw parser errors at one place, no hint; now one, about the indentation.
    ['a key indented too far', 'version: 1\npasses:\n  - id: a\n     prompt: x\n', 'yaml-indent@3:9'],
    ['list items out of line', 'version: 1\npasses:\n- id: a\n  prompt: x\n - id: b\n', 'yaml-indent@5:2'],
    // review-y 6: the usual prompt mistake is a colon in the text, which wants quotes, not spaces.
    [
      'a colon in a value',
      'version: 1\npasses:\n  - id: a\n    prompt: Add a sign reading: OPEN\n',
      'yaml-unquoted-colon@4:13',
    ],
    ['NUL bytes', 'version: 1\nname: a\u0000b\n', 'yaml-binary@2:8'],
    ['replacement char (invalid UTF-8)', 'version: 1\n\n  x\uFFFD\n', 'yaml-binary@3:4'],
    ['unclosed flow', 'version: 1\nsources: {a: b\n', 'yaml-syntax@3:1'],
    ['two documents', 'version: 1\n---\nversion: 1\n', 'yaml-multiple-documents@2:1'],
    // A trailing `---` with nothing after it (comments, blank lines, more markers) is not a second document.
    ['a trailing ---', 'version: 1\n---\n', 'ok'],
    ['a trailing --- at the end of the text', 'version: 1\n---', 'ok'],
    ['a trailing --- with comments, markers and CRLF', 'version: 1\r\n--- # end\r\n\r\n  # c\r\n...\r\n---\r\n', 'ok'],
    ['a trailing --- then a comment at column 1, CRLF', 'version: 1\r\n---\r\n# trailing\r\n', 'ok'],
    ['--- then null is a document', 'version: 1\n---\nnull\n', 'yaml-multiple-documents@2:1'],
    ['--- then an indented scalar is a document', 'version: 1\n---\n  ---\n', 'yaml-multiple-documents@2:1'],
    ['--- then a tag is a document', 'version: 1\n--- !x\n', 'yaml-multiple-documents@2:1'],
    ['--- then a directive is a document', 'version: 1\n---\n%YAML 1.2\n---\n', 'yaml-multiple-documents@2:1'],
    ['unknown alias', 'version: 1\nname: *nope\n', 'yaml-alias@2:7'],
    [
      'billion laughs',
      'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n' +
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
      'yaml-alias-limit@2:8',
    ],
    ['a few aliases are fine', 'keep: &keep Keep the face unchanged.\nname: *keep\n', 'ok'],
    [
      'git conflict markers (a merge left the recipe conflicted)',
      'version: 1\npasses:\n  - id: sky\n<<<<<<< HEAD\n    prompt: red\n=======\n    prompt: green\n>>>>>>> y\n',
      'yaml-conflict-markers@4:1',
    ],
    ['a marker-like line inside a block scalar is text', 'version: 1\nname: |\n  <<<<<<< not a marker here\n', 'ok'],
    ['flow nesting 65 deep', `version: 1\nparams: { a: ${'['.repeat(64)}${']'.repeat(64)} }\n`, 'yaml-too-deep@2:77'],
    [
      'brackets in quotes, comments and balanced prompts do not count',
      `name: "${'['.repeat(99)}"\n# ${'{'.repeat(99)}\nprompt: it's [a] ${"'"}\n`,
      'ok',
    ],
    ['a Set tag', 'version: 1\nparams: { foo: !!set {a} }\n', 'yaml-tag@2:16'],
    ['a js/function tag', 'version: 1\nname: !!js/function "function(){}"\n', 'yaml-tag@2:7'],
    ['a custom tag', 'version: 1\nname: !custom x\n', 'yaml-tag@2:7'],
    ['a list as a key', 'version: 1\nparams: {? [a, b] : 1}\n', 'yaml-complex-key@2:12'],
    ['a mapping as a block key', 'version: 1\n? {x: 1}\n: 2\n', 'yaml-complex-key@2:3'],
    [
      'a merge key',
      'version: 1\npasses:\n  - &bg\n    id: bg\n    prompt: a\n  - <<: *bg\n    id: b2\n',
      'yaml-merge-key@6:5',
    ],
    ['a merge key in a flow mapping', 'version: 1\nparams: { <<: {a: 1} }\n', 'yaml-merge-key@2:11'],
    ['"<<" as a value', 'version: 1\nname: "<<"\n', 'ok'],
    ['"<<" quoted is a key like any other', 'version: 1\nparams: { "<<": 1, \'<<\': 2 }\n', 'yaml-duplicate-key@2:20'],
    ['a quoted "<<" key alone', 'version: 1\nparams: { "<<": 1 }\n', 'ok'],
    // `*q\u200B` reads as the first value and is the second: the anchor is refused at its character.
    [
      'an anchor name with a zero-width space',
      'a: &q blue\nb: &q\u200B evil\nc: *q\u200B\n',
      'invisible-character@2:6',
    ],
    ['an anchor name with a bidi control', 'a: &\u202Eq blue\nb: *\u202Eq\n', 'control-character@1:5'],
    // Comments: a bidi control there can show the line otherwise than it is parsed (Trojan Source).
    ['a bidi override in a comment', 'version: 1\nname: a # \u202Eevil\n', 'control-character@2:11'],
    ['an isolate in a whole-line comment', 'version: 1\n  # x\u2066y\nname: a\n', 'control-character@2:6'],
    ['a zero-width space in a comment', '# a\u200Bb\nversion: 1\n', 'invisible-character@1:4'],
    ['a C1 control in a comment', 'version: 1 # \u009b2J\n', 'control-character@1:14'],
    ['a comment inside a flow mapping', 'params: { a: 1, # \u202D\n  b: 2 }\n', 'control-character@1:19'],
    ['a comment after the document end', 'version: 1\n...\n# \u2067\n', 'control-character@3:3'],
    ['an override in a directive the parser ignores', '%FOO a\u202Eb\n---\nversion: 1\n', 'control-character@1:7'],
    ['tag letters in a comment', 'version: 1 # hi\u{E0069}\n', 'invisible-character@1:16'],
    ['a run of ZWJ in a comment', 'version: 1 # a\u200D\u200Db\n', 'invisible-character@1:15'],
    [
      'comment prose keeps what writing needs: emoji ZWJ, Persian ZWNJ, RLM, a tab',
      'version: 1 # 👩\u200D💻 \u0645\u06CC\u200C\u062E \u200F\u05E9\u05DC\u05D5\u05DD\tok\n',
      'ok',
    ],
    ['a # inside a block scalar is the value, not a comment', 'prompt: |\n  # a\u202Eb\n', 'ok'],
    ['a # inside a quoted string is the value', 'name: "a # \u202Eb"\n', 'ok'],
  ])('%s', (_name, text, expected) => {
    expect(firstIssue(text)).toBe(expected);
  });

  // Block nesting past the parser's stack (walk-t: exit 70, an internal error): in our words, at a deep
  // line (where the stack ran out depends on the stack's size).
  it.each([
    ['5,000 compact "- " on a line', `version: 1\nx:\n  ${'- '.repeat(5000)}x\n`, /^yaml-too-deep@3:\d+$/],
    ['20,000 compact "? " on a line', `version: 1\nx:\n  ${'? '.repeat(20000)}x\n`, /^yaml-too-deep@3:\d+$/],
    [
      '1,400 indented mappings',
      `version: 1\ny:\n${Array.from({ length: 1400 }, (_, i) => `${' '.repeat(i)} k:\n`).join('')}${' '.repeat(1401)}v`,
      /^yaml-too-deep@\d+:\d+$/,
    ],
  ])('%s', (_name, text, expected) => {
    expect(firstIssue(text)).toMatch(expected);
  });

  it('one issue per kind and line: prompt: a: b: c once; issues of other kinds all kept (review-y 6)', () => {
    const colons = parseRecipeYaml('version: 1\nprompt: x: y: z\n');
    expect(colons.ok ? [] : colons.issues.map((i) => i.code)).toEqual(['yaml-unquoted-colon']);
    // A mapping key wants braces or a new line; a value with double quotes wants single ones (review-z 7).
    const params = parseRecipeYaml('version: 1\npasses:\n  - id: a\n    params: output_format: webp\n');
    expect(params.ok ? [] : params.issues.map((i) => [i.code, i.hint])).toEqual([
      ['yaml-indent', 'write params: { a: b } or put a: b on its own line under params:, indented'],
    ]);
    const sign = parseRecipeYaml('version: 1\npasses:\n  - id: a\n    prompt: Add a sign reading: "OPEN"\n');
    expect(sign.ok ? '' : sign.issues[0]?.hint).toContain(`prompt: '…: "…"'`);
    const both = parseRecipeYaml('sources:\n  cat: a\n  cat: b\n  x\n');
    expect(both.ok ? [] : both.issues.map((i) => i.code)).toEqual(['yaml-duplicate-key', 'yaml-syntax']);
  });

  it('says one thing, with a hint, about a line indented too far (walk-r 5)', () => {
    const r = parseRecipeYaml('version: 1\npasses:\n  - id: a\n     prompt: x\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]?.hint).toContain('the keys of one mapping line up');
  });

  it('names the duplicated key', () => {
    const r = parseRecipeYaml('version: 1\nname: a\nname: b\n');
    expect(r.ok ? '' : r.issues[0]?.message).toBe('duplicate key "name"');
  });

  it('refuses a flat flood of 10,000 aliases before parsing it', () => {
    const text = `x: &x 1\nl: [${Array.from({ length: 10_000 }, () => '*x').join(', ')}]\n`;
    expect(MAX_ALIAS_TOKENS).toBeLessThan(10_000);
    expect(firstIssue(text)).toBe('yaml-alias-limit@2:5');
  });

  it('reports a binary file at its first bad byte, even deep inside', () => {
    const text = `version: 1\n${'# padding\n'.repeat(50)}\u0001\u0002`;
    expect(firstIssue(text)).toBe('yaml-binary@52:1');
  });
});

describe('locatePath', () => {
  const text =
    'version: 1\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n  - id: b\n    from:\n    prompt: y\n';
  const r = parseRecipeYaml(text);
  if (!r.ok) throw new Error('fixture must parse');
  const { doc, lines } = r.parsed;
  it.each([
    [['passes', 1, 'prompt'], false, '9:13'],
    [['passes', 1], false, '7:5'],
    [['sources', 'photo'], false, '3:10'],
    [['sources', 'photo'], true, '3:3'],
    [['passes', 1, 'from'], false, '8:5'], // no value: the key
    [['passes', 0, 'seed'], false, '5:5'], // missing: the nearest ancestor
    [['nope'], false, '1:1'],
  ] as const)('%j (key: %s) -> %s', (path, key, expected) => {
    const pos = locatePath(doc, lines, path, { key });
    expect(`${pos?.line}:${pos?.col}`).toBe(expected);
  });
});

describe('locateInString', () => {
  const text = [
    'passes:',
    '  - prompt: |',
    '      Keep the face unchanged.',
    '      Add a hat.',
    '  - prompt: Keep it. Add a hat.',
    '  - prompt: "Keep it. Add a hat."',
    '  - prompt: >',
    '      Keep it.',
    '      Add a hat.',
    '  - prompt: "a\\u202Eb\\x1bc\\U0001F600d\\ee"',
    "  - prompt: 'it''s x'",
    '',
  ].join('\n');
  const r = parseRecipeYaml(text);
  if (!r.ok) throw new Error('fixture must parse');
  const { doc, lines } = r.parsed;
  it.each([
    ['literal block, first line', 0, 5, '3:12'],
    ['literal block, second line', 0, 'Keep the face unchanged.\n'.length + 4, '4:11'],
    ['plain scalar', 1, 9, '5:22'],
    ['double-quoted scalar', 2, 9, '6:23'],
    ['folded block: the character, on its own line', 3, 9, '9:7'],
    // The escape's own position: `\u202E` is one character of the value, `\U0001F600` two.
    ['double-quoted, at an escape', 4, 1, '10:15'],
    ['double-quoted, after escapes', 4, 3, '10:22'],
    ['double-quoted, after an astral escape', 4, 7, '10:37'],
    ['double-quoted, \\e', 4, 8, '10:38'],
    ["single-quoted, after ''", 5, 3, '11:18'],
  ] as const)('%s', (_name, index, offset, expected) => {
    const pos = locateInString(doc, lines, text, ['passes', index, 'prompt'], offset);
    expect(`${pos?.line}:${pos?.col}`).toBe(expected);
  });
});
