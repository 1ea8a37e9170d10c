import { describe, expect, it } from 'vitest';
import { fromKnown } from '../../../src/recipe/rules/from.js';
import { runRules } from '../../../src/recipe/rules/index.js';
import { fromVariant, pickRange } from '../../../src/recipe/rules/picks.js';
import type { Rule } from '../../../src/recipe/rules/context.js';
import { brief, contextFrom, run, withHead as p } from './rule-context.js';

const BAG = '  - id: bag\n    prompt: x\n    variants: 3\n';

interface Case {
  readonly name: string;
  readonly rule: Rule;
  readonly text: string;
  readonly expect: readonly string[];
  readonly message?: string;
  readonly hint?: string;
}

const CASES: readonly Case[] = [
  {
    name: 'from: bag#2 is fine',
    rule: fromVariant,
    text: p(`${BAG}  - id: s\n    from: bag#2\n    prompt: y\n`),
    expect: [],
  },
  {
    name: 'from: bag#3, the last one',
    rule: fromVariant,
    text: p(`${BAG}  - id: s\n    from: bag#3\n    prompt: y\n`),
    expect: [],
  },
  {
    name: 'from: bag#4 is out of range, with the last one suggested',
    rule: fromVariant,
    text: p(`${BAG}  - id: s\n    from: bag#4\n    prompt: y\n`),
    expect: ['from-variant@9:11'],
    message: 'has 3 variants, not 4',
    hint: 'did you mean "bag#3"?',
  },
  {
    name: 'from: bag#0 and bag#x are not variant numbers',
    rule: fromVariant,
    text: p(`${BAG}  - id: s\n    from: bag#0\n    prompt: y\n  - id: t\n    from: 'bag#x'\n    prompt: y\n`),
    expect: ['from-variant@9:11', 'from-variant@12:11'],
    hint: 'bag#1 .. bag#3',
  },
  {
    name: '# on a pass without variants',
    rule: fromVariant,
    text: p('  - id: a\n    prompt: x\n  - id: s\n    from: a#1\n    prompt: y\n'),
    expect: ['from-variant@8:11'],
    message: 'has no variants of its own',
    hint: 'did you mean "from: a"?',
  },
  {
    name: '# on a source',
    rule: fromVariant,
    text: p('  - id: a\n    from: photo#1\n    prompt: x\n'),
    expect: ['from-variant@6:11'],
    message: 'a source has no variants',
    hint: 'from: photo',
  },
  {
    name: 'variants from defaults count',
    rule: fromVariant,
    text: `version: 1\ndefaults:\n  variants: 2\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n`,
    expect: [],
  },
  {
    name: 'a misspelled pass keeps its #k in the suggestion',
    rule: fromKnown,
    text: p(`${BAG}  - id: s\n    from: bga#2\n    prompt: y\n`),
    expect: ['from-unknown@9:11'],
    hint: 'did you mean "bag#2"?',
  },
  { name: 'pick: 2 of 3 is fine', rule: pickRange, text: p(`${BAG}    pick: 2\n`), expect: [] },
  {
    name: 'pick: 4 of 3',
    rule: pickRange,
    text: p(`${BAG}    pick: 4\n`),
    expect: ['pick-range@8:11'],
    hint: 'did you mean pick: 3?',
  },
  {
    name: 'pick: without variants',
    rule: pickRange,
    text: p('  - id: a\n    prompt: x\n    pick: 1\n'),
    expect: ['pick-no-variants@7:11'],
  },
];

describe('pick rules', () => {
  it.each(CASES)('$name', (c) => {
    const problems = run(c.rule, c.text);
    expect(problems.map(brief)).toEqual(c.expect);
    if (c.message) expect(problems[0]?.message).toContain(c.message);
    if (c.hint) expect(problems[0]?.hint).toContain(c.hint);
  });

  it('a valid from: bag#2 resolves to the pass with its variant, and raises no other rule', () => {
    const ctx = contextFrom(p(`${BAG}    pick: 1\n  - id: s\n    from: bag#2\n    prompt: y\n`));
    expect(ctx.graph.inputs[1]).toEqual({ kind: 'pass', id: 'bag', variant: 2 });
    expect(runRules(ctx)).toEqual([]);
  });

  it('nested variants stay refused below a pick', () => {
    const problems = runRules(contextFrom(p(`${BAG}    pick: 2\n  - id: s\n    prompt: y\n    variants: 2\n`)));
    expect(problems.map((x) => x.code)).toEqual(['nested-variants']);
  });
});
