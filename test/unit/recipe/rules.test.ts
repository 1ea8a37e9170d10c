import { describe, expect, it } from 'vitest';
import { firstPassInput, fromCycles, fromKnown } from '../../../src/recipe/rules/from.js';
import { RULES, runRules } from '../../../src/recipe/rules/index.js';
import { passIds, recipeName, sourceNames } from '../../../src/recipe/rules/names.js';
import { modelOnProvider, paramsForModel } from '../../../src/recipe/rules/model-params.js';
import { reservedParams } from '../../../src/recipe/rules/params.js';
import { outputPathText, outputsInsideRoot } from '../../../src/recipe/rules/paths.js';
import { writeTargets } from '../../../src/recipe/rules/write-targets.js';
import { saveCollisions, saveInSources, savePlaceholders } from '../../../src/recipe/rules/save.js';
import { outputCollisions } from '../../../src/recipe/rules/output-collisions.js';
import { aspectRatio, modelForm, seedRange, variantsRange } from '../../../src/recipe/rules/values.js';
import { nestedVariants } from '../../../src/recipe/rules/variants.js';
import { fromVariant, pickRange } from '../../../src/recipe/rules/picks.js';
import { HEAD, brief, contextFrom, run, type RuleCase } from './rule-context.js';
import { FS_NAME_CASES } from './rule-cases-fs-names.js';

const p = (lines: string): string => HEAD + lines;

const CASES: readonly RuleCase[] = [
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
  // A C1 control (CSI) or DEL would reach the terminal through the default folder out/<name>.
  { name: 'name: C1 control', rule: recipeName, text: 'version: 1\nname: "a\\x9b2J"\n', expect: ['name-format@2:7'] },
  { name: 'name: DEL', rule: recipeName, text: 'version: 1\nname: "a\\x7f"\n', expect: ['name-format@2:7'] },
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
  // save
  {
    name: 'save: known placeholders',
    rule: savePlaceholders,
    text: p('  - id: a\n    prompt: x\n    save: out/{source}-{pass}-{variant}.{ext}\n'),
    expect: [],
  },
  {
    name: 'save: unknown placeholder',
    rule: savePlaceholders,
    text: p('  - id: a\n    prompt: x\n    save: out/{sorce}.png\n'),
    expect: ['save-placeholder@7:11'],
    message: 'unknown placeholder "{sorce}"',
    hint: 'did you mean "{source}"?',
  },
  {
    name: 'save: unmatched brace',
    rule: savePlaceholders,
    text: p('  - id: a\n    prompt: x\n    save: out/{source.png\n'),
    expect: ['save-placeholder@7:11'],
    message: 'unmatched "{"',
  },
  {
    name: 'save: glob fan-out needs {source}',
    rule: saveCollisions,
    options: { globs: { photo: 3 } },
    text: p('  - id: a\n    prompt: x\n    save: out/final.png\n'),
    expect: ['save-collision@7:11'],
    hint: '{source}',
  },
  {
    name: 'save: variants need {variant}',
    rule: saveCollisions,
    text: p('  - id: a\n    prompt: x\n    variants: 2\n  - id: b\n    prompt: x\n    save: out/{source}.png\n'),
    expect: ['save-collision@10:11'],
    hint: '{variant}',
  },
  {
    name: 'save: same path twice needs {pass}',
    rule: saveCollisions,
    text: p('  - id: a\n    prompt: x\n    save: out/x.png\n  - id: b\n    prompt: x\n    save: out/x.png\n'),
    expect: ['save-collision@10:11'],
    message: 'same save path as passes[0]',
  },
  {
    name: "save: onto another pass's output (more in output-collisions.test.ts)",
    rule: outputCollisions,
    text: p('  - id: a\n    prompt: x\n  - id: b\n    prompt: x\n    save: out/r/a/photo.png\n'),
    expect: ['output-collision@9:11'],
    message: 'would write the same file as node "a"',
  },
  {
    name: 'save: a single-file source needs no {source}',
    rule: saveCollisions,
    text: p('  - id: a\n    prompt: x\n    save: out/final.png\n'),
    expect: [],
  },
  {
    name: 'save: a path the source glob would match (both positions)',
    rule: saveInSources,
    options: { globs: { photos: 2 } },
    text:
      'version: 1\nsources:\n  photos: "photos/**/*.{jpg,png}"\n' +
      'passes:\n  - id: a\n    prompt: x\n    save: photos/final/{source}.{ext}\n',
    expect: ['save-in-sources@7:11'],
    message: 'matched by the source glob "photos/**/*.{jpg,png}" (r.yml:3:11)',
  },
  {
    name: 'save: outside the glob is fine',
    rule: saveInSources,
    options: { globs: { photos: 2 } },
    text:
      'version: 1\nsources:\n  photos: "photos/*.jpg"\n' +
      'passes:\n  - id: a\n    prompt: x\n    save: photos/final/{source}.{ext}\n',
    expect: [],
  },
  // paths
  { name: 'out: printable', rule: outputPathText, text: 'version: 1\nout: out/é x\n', expect: [] },
  {
    name: 'out: an escape sequence',
    rule: outputPathText,
    text: 'version: 1\nout: "out/\\e]0;x\\a"\n',
    expect: ['control-character@2:6'],
    message: '(U+001B)',
  },
  {
    name: 'save: DEL',
    rule: outputPathText,
    text: p('  - id: a\n    prompt: x\n    save: "a\\x7f/{source}.{ext}"\n'),
    expect: ['control-character@7:11'],
  },
  { name: 'out: inside the root', rule: outputsInsideRoot, text: 'version: 1\nout: ../out/x\n', expect: [] },
  {
    name: 'out: outside the root',
    rule: outputsInsideRoot,
    text: 'version: 1\nout: ../../etc\n',
    expect: ['outside-root@2:6'],
    hint: '--allow-outside-root',
  },
  {
    name: 'save: absolute outside the root',
    rule: outputsInsideRoot,
    text: p('  - id: a\n    prompt: x\n    save: /tmp/{source}.png\n'),
    expect: ['outside-root@7:11'],
  },
  {
    name: 'out: outside allowed explicitly',
    rule: outputsInsideRoot,
    options: { allowOutsideRoot: true },
    text: 'version: 1\nout: ../../etc\n',
    expect: [],
  },
  {
    name: 'save: through a symlinked folder that leads out of the root (homelink/.bashrc)',
    rule: outputsInsideRoot,
    options: { real: { '/proj/recipes/homelink': '/home/someone' } },
    text: p('  - id: a\n    prompt: x\n    save: homelink/.bashrc\n'),
    expect: ['outside-root@7:11'],
  },
  // write targets
  {
    name: 'save: a folder of its own',
    rule: writeTargets,
    text: p('  - id: a\n    prompt: x\n    save: final/{source}.{ext}\n'),
    expect: [],
  },
  {
    name: 'out: the recipe folder (clean would remove the sources under it)',
    rule: writeTargets,
    text: p('  - id: a\n    prompt: x\n').replace('version: 1\n', 'version: 1\nout: .\n'),
    expect: ['write-protected@2:6'],
    message: 'a folder holding the recipe itself',
  },
  {
    name: 'out: a folder holding a source, even with --allow-outside-root',
    rule: writeTargets,
    options: { allowOutsideRoot: true },
    text: p('  - id: a\n    prompt: x\n').replace('version: 1\n', 'version: 1\nout: /p\n'),
    expect: ['write-protected@2:6'],
    message: 'a folder holding the source "photo"',
  },
  {
    name: 'save: onto the recipe',
    rule: writeTargets,
    text: p('  - id: a\n    prompt: x\n    save: r.yml\n'),
    expect: ['write-protected@7:11'],
    message: 'the recipe itself',
  },
  {
    name: 'save: onto the lock',
    rule: writeTargets,
    text: p('  - id: a\n    prompt: x\n    save: r.lock.json\n'),
    expect: ['write-protected@7:11'],
  },
  {
    name: 'save: into .git, even with --allow-outside-root',
    rule: writeTargets,
    options: { allowOutsideRoot: true },
    text: p('  - id: a\n    prompt: x\n    save: ../.git/config\n'),
    expect: ['write-protected@7:11'],
    message: 'a .git folder',
  },
  {
    name: 'save: a template that can produce a source file',
    rule: writeTargets,
    text: p('  - id: a\n    prompt: x\n    save: /p/{source}.{ext}\n'),
    expect: ['write-protected@7:11'],
    message: 'the source "photo"',
  },
  {
    name: 'save: onto the recipe through a symlinked folder',
    rule: writeTargets,
    options: { real: { '/proj/recipes/alias': '/proj/recipes' } },
    text: p('  - id: a\n    prompt: x\n    save: alias/r.yml\n'),
    expect: ['write-protected@7:11'],
  },
  {
    name: 'out: into the cache dir',
    rule: writeTargets,
    text: 'version: 1\nout: ../.kontext/x\n',
    expect: ['write-protected@2:6'],
    message: 'the cache dir',
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
  ...FS_NAME_CASES,
  {
    name: 'params for the model: a catalog model is not checked',
    rule: paramsForModel,
    text: p('  - id: a\n    prompt: x\n    model: acme/other/edit\n    params: { anything: 1 }\n'),
    expect: [],
  },
];

describe('semantic rules', () => {
  it.each(CASES)('$name', (c) => {
    const problems = run(c.rule, c.text, c.options);
    expect(problems.map(brief)).toEqual(c.expect);
    if (c.message) expect(problems[0]?.message).toContain(c.message);
    if (c.hint) expect(problems[0]?.hint).toContain(c.hint);
    for (const problem of problems) expect(problem.severity).toBe('error');
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
