/**
 * locateInString in every YAML scalar style: the line:col of a character inside a multi-line
 * value (blocks with chomping and indentation indicators, folded plain and quoted scalars,
 * escapes), where the value's start was all an error could point at before.
 */
import { describe, expect, it } from 'vitest';
import { locateInString } from '../../../src/recipe/yaml/scalar-offset.js';
import { parseRecipeYaml } from '../../../src/recipe/yaml/parse.js';

/** `lines` as a document; the line:col of the first `mark` (U+200B, raw or escaped) of the value (or key) at `path`. */
function where(lines: readonly string[], path: readonly (string | number)[], key = false, mark = /\u200B/): string {
  const text = `${lines.join('\n')}\n`;
  const r = parseRecipeYaml(text);
  if (!r.ok) throw new Error(`fixture must parse: ${r.issues.map((i) => i.message).join('; ')}`);
  const node = r.parsed.doc.getIn(path.slice(0, key ? -1 : undefined), true) as { value?: unknown } | undefined;
  const value = key ? String(path[path.length - 1]) : String(node?.value ?? '');
  const offset = value.search(mark);
  if (offset < 0) throw new Error(`no mark in ${JSON.stringify(value)}`);
  const pos = locateInString(r.parsed.doc, r.parsed.lines, text, path, offset, { key });
  return `${pos?.line}:${pos?.col}`;
}

describe('locateInString: a character inside a multi-line value', () => {
  it.each([
    ['literal block', ['p: |', '  Keep it.', '  Add a\u200Bhat.'], ['p'], '3:8'],
    ['literal block, keep chomping and a comment on the header', ['p: |+ # c', '  a', '', '  b\u200B'], ['p'], '4:4'],
    // The indicator makes the first line's two extra spaces content: counting them as indent was off by two.
    ['literal block, indentation indicator', ['p: |2-', '    lead', '  x\u200B'], ['p'], '3:4'],
    ['literal block, indicator, first line', ['p: |2', '    le\u200Bad'], ['p'], '2:7'],
    ['folded block', ['p: >', '  Keep it.', '', '  Add a', '  big\u200Bhat.'], ['p'], '5:6'],
    ['folded block, strip chomping and an indicator', ['p: >-2', '   more', '  x\u200By'], ['p'], '3:4'],
    ['plain scalar over two lines', ['p: Keep it.', '  Add a', '   h\u200Bat.'], ['p'], '3:5'],
    ['double-quoted over two lines, raw', ['p: "Keep it.', '  Add a\u200Bhat."'], ['p'], '2:8'],
    ['double-quoted over lines, an escape', ['p: "Keep it.', '', '    Add a \\u200Bhat."'], ['p'], '3:11'],
    [
      'double-quoted, escapes and an escaped line break before',
      ['p: "a\\t\\"b\\U0001F600 \\', '  c\\\\d \\x41\\u200B"'],
      ['p'],
      '2:12',
    ],
    ['double-quoted, \\L (a line separator) is one character', ['p: "a\\Lb', '  c\\u200B"'], ['p'], '2:4'],
    ["single-quoted over two lines, after ''", ["p: 'it''s", "  a ''x''\u200B'"], ['p'], '2:10'],
    ['in a sequence, folded', ['p:', '  - >', '    a', '    b\u200B'], ['p', 0], '4:6'],
    ['a key, quoted', ['"a\\u200Bb": 1'], ['a\u200Bb'], '1:3'],
    ['a key, plain', ['ab\u200Bc: 1'], ['ab\u200Bc'], '1:3'],
  ] as const)('%s', (_name, lines, path, expected) => {
    expect(where(lines, path, _name.startsWith('a key'))).toBe(expected);
  });

  // A tab or line break of the value may be one that folding made: the first one after the
  // character before it is the nearest certain position.
  it.each([
    ["a folded block's final newline: after its last character", ['o: >', '  out/x'], ['o'], '2:8'],
    ["a literal block's newline", ['o: |', '  out', '  x'], ['o'], '2:6'],
    ['a tab escape on the second line of a quoted scalar', ['o: "a', '  b \\tc"'], ['o'], '2:5'],
    ['a tab on one line', ['o: "a  \\tb"'], ['o'], '1:8'],
  ] as const)('whitespace: %s', (_name, lines, path, expected) => {
    expect(where(lines, path, false, /[\n\t]/)).toBe(expected);
  });
});
