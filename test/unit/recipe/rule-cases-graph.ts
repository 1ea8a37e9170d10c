/**
 * Rule cases on the recipe's names and its pass graph (rules.test.ts runs them): pass ids, source
 * names, the recipe name, `from:` and cycles, variants.
 */
import { firstPassInput, fromCycles, fromKnown } from '../../../src/recipe/rules/from.js';
import { passIds, recipeName, sourceNames } from '../../../src/recipe/rules/names.js';
import { nestedVariants } from '../../../src/recipe/rules/variants.js';
import { withHead as p, type RuleCase } from './rule-context.js';

export const GRAPH_CASES: readonly RuleCase[] = [
  // names
  { name: 'ids: kebab-case is fine', rule: passIds, text: p('  - id: rainy-street-2\n    prompt: x\n'), expect: [] },
  {
    name: 'ids: not kebab-case',
    rule: passIds,
    text: p('  - id: Rainy_Street\n    prompt: x\n'),
    expect: ['name-format@5:9'],
    message: 'is not kebab-case',
    hint: '"rainy-street"',
  },
  {
    name: 'ids: path characters',
    rule: passIds,
    text: p('  - id: ../etc\n    prompt: x\n'),
    expect: ['name-format@5:9'],
    message: 'must not contain path characters',
  },
  {
    name: 'ids: duplicates',
    rule: passIds,
    text: p('  - id: a\n    prompt: x\n  - id: b\n    prompt: x\n  - id: a\n    prompt: x\n'),
    expect: ['duplicate-id@9:9'],
    message: 'duplicate pass id "a"',
    hint: 'line 5',
  },
  {
    name: 'sources: bad name points at the key',
    rule: sourceNames,
    text: 'version: 1\nsources:\n  My Photo: a.jpg\npasses: []\n',
    expect: ['name-format@3:3'],
    hint: '"my-photo"',
  },
  {
    name: 'sources: clash with a pass id',
    rule: sourceNames,
    text: p('  - id: photo\n    prompt: x\n'),
    expect: ['name-clash@5:9'],
  },
  {
    name: 'sources: none at all',
    rule: sourceNames,
    text: 'version: 1\nsources: {}\npasses:\n  - id: a\n    prompt: x\n',
    expect: ['no-sources@2:10'],
  },
  {
    name: "sources: a list is the schema's to report",
    rule: sourceNames,
    text: 'version: 1\nsources: [a.jpg]\npasses: []\n',
    expect: [],
  },
  { name: 'name: path characters', rule: recipeName, text: 'version: 1\nname: a/b\n', expect: ['name-format@2:7'] },
  { name: 'name: plain', rule: recipeName, text: 'version: 1\nname: My Portrait\n', expect: [] },
  // from
  {
    name: 'from: a known pass or source',
    rule: fromKnown,
    text: p('  - id: a\n    prompt: x\n  - id: b\n    from: photo\n    prompt: x\n'),
    expect: [],
  },
  {
    name: 'from: unknown, with did-you-mean',
    rule: fromKnown,
    text: p('  - id: jacket\n    prompt: x\n  - id: b\n    from: jackt\n    prompt: x\n'),
    expect: ['from-unknown@8:11'],
    message: 'passes[1].from: unknown pass or source "jackt"',
    hint: 'did you mean "jacket"?',
  },
  {
    name: 'from: unknown, nothing close lists names',
    rule: fromKnown,
    text: p('  - id: a\n    from: zzzzzz\n    prompt: x\n'),
    expect: ['from-unknown@6:11'],
    hint: 'known names: photo',
  },
  { name: 'first pass: the only source', rule: firstPassInput, text: p('  - id: a\n    prompt: x\n'), expect: [] },
  {
    name: 'first pass: ambiguous with several sources',
    rule: firstPassInput,
    text: 'version: 1\nsources:\n  a: a.jpg\n  b: b.jpg\npasses:\n  - id: one\n    prompt: x\n',
    expect: ['from-ambiguous@6:5'],
    message: '2 sources: a, b',
    hint: 'from: a',
  },
  {
    name: 'first pass: explicit from is not ambiguous',
    rule: firstPassInput,
    text: 'version: 1\nsources:\n  a: a.jpg\n  b: b.jpg\npasses:\n  - id: one\n    from: b\n    prompt: x\n',
    expect: [],
  },
  {
    name: 'cycle: two passes',
    rule: fromCycles,
    text: p('  - id: a\n    from: b\n    prompt: x\n  - id: b\n    prompt: x\n'),
    expect: ['from-cycle@6:11'],
    message: 'cycle: a -> b -> a',
  },
  {
    name: 'cycle: self',
    rule: fromCycles,
    text: p('  - id: a\n    prompt: x\n  - id: b\n    from: b\n    prompt: x\n'),
    expect: ['from-cycle@8:11'],
    message: 'cycle: b -> b',
  },
  {
    name: 'cycle: three passes, reported once',
    rule: fromCycles,
    text: p(
      '  - id: a\n    prompt: x\n  - id: b\n    from: c\n    prompt: x\n  - id: c\n    prompt: x\n  - id: d\n' +
        '    prompt: x\n',
    ),
    expect: ['from-cycle@8:11'],
    message: 'cycle: b -> c -> b',
  },
  {
    name: 'forward reference without a cycle is fine',
    rule: fromCycles,
    text: p(
      '  - id: a\n    from: c\n    prompt: x\n  - id: b\n    from: photo\n    prompt: x\n  - id: c\n' +
        '    from: photo\n    prompt: x\n',
    ),
    expect: [],
  },
  // variants
  {
    name: 'variants: one fan-out per chain is fine',
    rule: nestedVariants,
    text: p('  - id: a\n    prompt: x\n    variants: 3\n  - id: b\n    prompt: x\n'),
    expect: [],
  },
  {
    name: 'variants: branches may each have variants',
    rule: nestedVariants,
    text: p(
      '  - id: a\n    prompt: x\n  - id: b\n    prompt: x\n    variants: 2\n  - id: c\n    from: a\n    prompt: x\n' +
        '    variants: 2\n',
    ),
    expect: [],
  },
  {
    name: 'variants: nested is refused',
    rule: nestedVariants,
    text: p(
      '  - id: a\n    prompt: x\n    variants: 2\n  - id: b\n    prompt: x\n  - id: c\n    prompt: x\n' +
        '    variants: 3\n',
    ),
    expect: ['nested-variants@12:15'],
    message: 'already fans out into variants at "a"',
    hint: 'not supported',
  },
  {
    name: 'variants: from defaults, reported once',
    rule: nestedVariants,
    text:
      'version: 1\ndefaults:\n  variants: 2\nsources:\n  photo: a.jpg\npasses:\n  - id: a\n    prompt: x\n' +
      '  - id: b\n    prompt: x\n  - id: c\n    prompt: x\n',
    expect: ['nested-variants@3:13', 'nested-variants@3:13'],
  },
];
