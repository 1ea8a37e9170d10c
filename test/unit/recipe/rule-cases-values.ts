/**
 * Rule cases on a pass's values (rules.test.ts runs them): seed, variants, model, aspect ratio,
 * picks, params and the model's params on its provider.
 */
import { modelOnProvider, paramsForModel } from '../../../src/recipe/rules/model-params.js';
import { reservedParams } from '../../../src/recipe/rules/params.js';
import { fromVariant, pickRange } from '../../../src/recipe/rules/picks.js';
import { aspectRatio, modelForm, seedRange, variantsRange } from '../../../src/recipe/rules/values.js';
import { withHead as p, type RuleCase } from './rule-context.js';

export const VALUE_CASES: readonly RuleCase[] = [
  // values
  { name: 'seed: in range', rule: seedRange, text: p('  - id: a\n    prompt: x\n    seed: 4294967295\n'), expect: [] },
  {
    name: 'seed: negative',
    rule: seedRange,
    text: p('  - id: a\n    prompt: x\n    seed: -1\n'),
    expect: ['seed-range@7:11'],
    message: '0..4294967295, got -1',
  },
  {
    name: 'seed: too big, in defaults',
    rule: seedRange,
    text: 'version: 1\ndefaults:\n  seed: 4294967296\n',
    expect: ['seed-range@3:9'],
  },
  {
    name: 'seed: fraction',
    rule: seedRange,
    text: p('  - id: a\n    prompt: x\n    seed: 1.5\n'),
    expect: ['seed-range@7:11'],
  },
  {
    name: 'variants: 0 and 65',
    rule: variantsRange,
    text: p('  - id: a\n    prompt: x\n    variants: 0\n  - id: b\n    prompt: x\n    variants: 65\n'),
    expect: ['variants-range@7:15', 'variants-range@10:15'],
  },
  {
    name: 'model: owner/name/... form',
    rule: modelForm,
    text: 'version: 1\nmodel: flux-kontext\ndefaults:\n  model: a/b\n',
    expect: ['model-format@2:8'],
    hint: 'blackforestlabs/flux-1-kontext/pro/edit',
  },
  {
    name: 'aspect ratio: listed',
    rule: aspectRatio,
    text: p('  - id: a\n    prompt: x\n    aspect_ratio: "21:9"\n'),
    expect: [],
  },
  {
    name: 'aspect ratio: 4x3 suggests 4:3',
    rule: aspectRatio,
    text: p('  - id: a\n    prompt: x\n    aspect_ratio: 4x3\n'),
    expect: ['aspect-ratio@7:19'],
    hint: 'did you mean "4:3"?',
  },
  {
    name: 'aspect ratio: from defaults, unknown model uses the default list',
    rule: aspectRatio,
    text:
      'version: 1\nmodel: acme/other/edit\ndefaults:\n  aspect_ratio: "5:4"\nsources:\n  photo: a.jpg\npasses:\n' +
      '  - id: a\n    prompt: x\n',
    expect: ['aspect-ratio@4:17'],
    message: 'not supported by acme/other/edit',
  },
  // picks (more in pick-rules.test.ts)
  {
    name: 'from: a variant out of range',
    rule: fromVariant,
    text: p('  - id: a\n    prompt: x\n    variants: 3\n  - id: b\n    from: a#4\n    prompt: y\n'),
    expect: ['from-variant@9:11'],
  },
  {
    name: 'pick: on a pass without variants',
    rule: pickRange,
    text: p('  - id: a\n    prompt: x\n    pick: 2\n'),
    expect: ['pick-no-variants@7:11'],
  },
  // params
  {
    name: 'params: extra fields pass through',
    rule: reservedParams,
    text: p('  - id: a\n    prompt: x\n    params: { output_format: png }\n'),
    expect: [],
  },
  {
    name: 'params: reserved field points at the key',
    rule: reservedParams,
    text: p('  - id: a\n    prompt: x\n    params:\n      seed: 3\n'),
    expect: ['params-reserved@8:7'],
    hint: 'seed:',
  },
  {
    name: 'model on provider: a catalog id runs on RunComfy only',
    rule: modelOnProvider,
    text:
      'version: 1\nprovider: fal\nmodel: acme/other/edit\nsources:\n  photo: a.jpg\npasses:\n' +
      '  - id: a\n    prompt: x\n',
    expect: ['model-provider@3:8'],
    hint: 'fal offers: flux-kontext-pro',
  },
  {
    name: 'model on provider: dev is RunComfy-only',
    rule: modelOnProvider,
    text: p('  - id: a\n    prompt: x\n    provider: bfl\n    model: flux-kontext-dev\n'),
    expect: ['model-provider@8:12'],
    hint: 'did you mean "flux-kontext-pro"?',
  },
  {
    name: 'params for the model: unknown key at the key, bad value at the value',
    rule: paramsForModel,
    text: p('  - id: a\n    prompt: x\n    params: { output_format: jpg, guidance: 3 }\n'),
    expect: ['params-value@7:30', 'params-unknown@7:35'],
    message: 'must be one of "jpeg", "png", "webp"',
  },
  {
    name: 'params for the model: a catalog model is not checked',
    rule: paramsForModel,
    text: p('  - id: a\n    prompt: x\n    model: acme/other/edit\n    params: { anything: 1 }\n'),
    expect: [],
  },
];
