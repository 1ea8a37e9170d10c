/**
 * Rule cases on where a recipe writes (rules.test.ts runs them): `save:` templates and collisions,
 * output paths' root, and the files a write must never land on.
 */
import { outputCollisions } from '../../../src/recipe/rules/output-collisions.js';
import { outputsInsideRoot } from '../../../src/recipe/rules/paths.js';
import { saveCollisions, saveInSources, savePlaceholders } from '../../../src/recipe/rules/save.js';
import { saveFormat } from '../../../src/recipe/rules/save-format.js';
import { writeTargets } from '../../../src/recipe/rules/write-targets.js';
import { withHead as p, type RuleCase } from './rule-context.js';

/** A recipe on `provider` whose passes are these lines. */
const on = (provider: string, lines: string): string =>
  `version: 1\nprovider: ${provider}\nsources:\n  photo: a.jpg\npasses:\n${lines}`;

export const OUTPUT_CASES: readonly RuleCase[] = [
  // save: the name's extension against the output format (review-u: JPEG bytes in a .png)
  {
    name: 'save: an extension other than the output format known before the run is a warning',
    rule: saveFormat,
    text: on(
      'bfl',
      '  - id: a\n    prompt: x\n    save: f/a.jpg\n' +
        '  - id: b\n    prompt: x\n    params: { output_format: jpeg }\n    save: f/b.png\n' +
        '  - id: c\n    prompt: x\n    params: { output_format: jpeg }\n    save: f/c.JPEG\n' +
        '  - id: d\n    prompt: x\n    save: f/d.{ext}\n  - id: e\n    prompt: x\n    save: f/e.png\n',
    ),
    expect: ['save-format@8:11', 'save-format@12:11'],
    severity: 'warning',
    message: 'save path "f/a.jpg" ends in .jpg, but pass a outputs PNG: the copy would hold PNG bytes under that name',
    hint: "end it with .{ext} (the output's own, .png here)",
  },
  {
    name: "save: fal's default is JPEG; Replicate's output_format jpg; RunComfy's default is not known",
    rule: saveFormat,
    text:
      on('fal', '  - id: a\n    prompt: x\n    save: f/a.png\n  - id: b\n    prompt: x\n    save: f/b.jpg\n') +
      '  - id: c\n    provider: replicate\n    prompt: x\n    params: { output_format: jpg }\n    save: f/c.jpg\n' +
      '  - id: d\n    provider: runcomfy\n    prompt: x\n    save: f/d.jpg\n',
    expect: ['save-format@8:11'],
    severity: 'warning',
    message: 'ends in .png, but pass a outputs JPEG',
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
    name: 'out: into the old per-project cache folder',
    rule: writeTargets,
    text: 'version: 1\nout: ../.kontext/x\n',
    expect: ['write-protected@2:6'],
    message: 'the old per-project cache folder ".kontext"',
  },
];
