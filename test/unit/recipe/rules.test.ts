/**
 * The semantic rules, table-driven: each case file holds one theme's cases (rule-cases-*.ts),
 * run here together so that every rule of the table is seen to be exercised.
 */
import { describe, expect, it } from 'vitest';
import { RULES, runRules } from '../../../src/recipe/rules/index.js';
import { brief, contextFrom, run, type RuleCase } from './rule-context.js';
import { FS_NAME_CASES } from './rule-cases-fs-names.js';
import { GRAPH_CASES } from './rule-cases-graph.js';
import { HIDDEN_FIELD_CASES } from './rule-cases-hidden-fields.js';
import { HIDDEN_TEXT_CASES } from './rule-cases-hidden-text.js';
import { OUTPUT_CASES } from './rule-cases-outputs.js';
import { VALUE_CASES } from './rule-cases-values.js';

const CASES: readonly RuleCase[] = [
  ...GRAPH_CASES,
  ...VALUE_CASES,
  ...OUTPUT_CASES,
  ...FS_NAME_CASES,
  ...HIDDEN_TEXT_CASES,
  ...HIDDEN_FIELD_CASES,
];

describe('semantic rules', () => {
  it.each(CASES)('$name', (c) => {
    const problems = run(c.rule, c.text, c.options);
    expect(problems.map(brief)).toEqual(c.expect);
    if (c.message) expect(problems[0]?.message).toContain(c.message);
    if (c.hint) expect(problems[0]?.hint).toContain(c.hint);
    for (const problem of problems) expect(problem.severity).toBe(c.severity ?? 'error');
  });

  it('runRules collects the problems of every rule and drops exact repeats', () => {
    const text =
      'version: 1\ndefaults:\n  variants: 2\nsources:\n  photo: a.jpg\npasses:\n  - id: A\n    prompt: x\n' +
      '    seed: -3\n  - id: b\n    from: nope\n    prompt: x\n  - id: c\n    prompt: x\n';
    const problems = runRules(contextFrom(text));
    expect(problems.map(brief)).toEqual([
      'name-format@7:9',
      'from-unknown@11:11',
      'nested-variants@3:13',
      'seed-range@9:11',
    ]);
  });

  it('every rule in the table is exercised above', () => {
    const tested = new Set(CASES.map((c) => c.rule));
    expect(RULES.filter((r) => !tested.has(r))).toEqual([]);
  });
});
