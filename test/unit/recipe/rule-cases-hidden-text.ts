/**
 * Rule cases on text that can hide text from a recipe's reviewer (rules.test.ts runs them): a C0
 * or C1 control character or a bidi control in a prompt, a pass id, the name, `out:` or `save:`,
 * reported at the character (through a YAML escape too), naming it as U+XXXX.
 */
import { hiddenText } from '../../../src/recipe/rules/hidden-text.js';
import { passIds, recipeName } from '../../../src/recipe/rules/names.js';
import { withHead as p, type RuleCase } from './rule-context.js';

/** One pass whose prompt is `prompt` as written in the YAML (line 6, the value at col 13). */
const prompted = (prompt: string): string => p(`  - id: a\n    prompt: ${prompt}\n`);

export const HIDDEN_TEXT_CASES: readonly RuleCase[] = [
  {
    name: 'prompt: a right-to-left override, written as an escape, at the escape',
    rule: hiddenText,
    text: prompted('"Keep it. \\u202EAdd a hat."'),
    expect: ['control-character@6:23'],
    message: 'prompt holds U+202E (RIGHT-TO-LEFT OVERRIDE)',
    hint: 'bidi',
  },
  {
    name: 'prompt: a raw bidi isolate on the second line of a literal block',
    rule: hiddenText,
    text: prompted('|\n      Keep the face unchanged.\n      Add \u2066a hat\u2069.\n'),
    expect: ['control-character@8:11'],
    message: 'U+2066 (LEFT-TO-RIGHT ISOLATE)',
  },
  {
    name: 'prompt: ESC, a lone CR, a C1 CSI and DEL are control characters',
    rule: hiddenText,
    text: p(
      ['"\\e[2J Add a hat"', '"Add a hat\\rKeep"', '"a\\x9b2J"', '"a\\x7f"']
        .map((prompt, i) => `  - id: p${i}\n    prompt: ${prompt}\n`)
        .join(''),
    ),
    expect: ['control-character@6:14', 'control-character@8:23', 'control-character@10:15', 'control-character@12:15'],
    message: 'U+001B (a control character)',
    hint: 'tab and newline are fine',
  },
  {
    name: 'prompt: tab, newline and CR LF are text',
    rule: hiddenText,
    text: prompted('"Keep it.\\tAdd a hat.\\nThen\\r\\na bow."'),
    expect: [],
  },
  {
    name: 'pass id: a bidi override, at the character (not also "not kebab-case")',
    rule: hiddenText,
    text: p('  - id: "a\\u202Eb"\n    prompt: x\n'),
    expect: ['control-character@5:11'],
    message: 'pass id holds U+202E',
  },
  { name: 'pass id: left to hiddenText', rule: passIds, text: p('  - id: "a\\u202Eb"\n    prompt: x\n'), expect: [] },
  { name: 'out: printable', rule: hiddenText, text: 'version: 1\nout: out/é x\n', expect: [] },
  {
    name: 'out: an escape sequence',
    rule: hiddenText,
    text: 'version: 1\nout: "out/\\e]0;x\\a"\n',
    expect: ['control-character@2:11'],
    message: 'holds U+001B',
  },
  {
    name: 'save: DEL; a tab in a path',
    rule: hiddenText,
    text: p(
      '  - id: a\n    prompt: x\n    save: "a\\x7f/{source}.{ext}"\n  - id: b\n    prompt: x\n    save: "a\\tb"\n',
    ),
    expect: ['control-character@7:13', 'control-character@10:13'],
  },
  // A C1 control (CSI) or DEL would reach the terminal through the default folder out/<name>.
  {
    name: 'name: C1 control',
    rule: hiddenText,
    text: 'version: 1\nname: "a\\x9b2J"\n',
    expect: ['control-character@2:9'],
  },
  { name: 'name: DEL', rule: hiddenText, text: 'version: 1\nname: "a\\x7f"\n', expect: ['control-character@2:9'] },
  { name: 'name: left to hiddenText', rule: recipeName, text: 'version: 1\nname: "a\\x7f"\n', expect: [] },
];
