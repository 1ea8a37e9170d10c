/**
 * `kontext validate` on params, providers and models per pass: every problem at file:line:col,
 * exit 65, did-you-mean for keys, models and ratios; aliases resolve to our id.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, type Problem } from '../../../src/errors.js';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-params-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'a.png'), PNG_MAGIC);
});
afterAll(() => rm(root, { recursive: true, force: true }));

const HEAD = 'version: 1\nsources:\n  photo: a.png\npasses:\n';

async function validate(text: string) {
  const rt = createRuntime({ cwd: root, env: {} });
  return validateRecipe(text, { displayPath: 'r.yml', file: path.join(root, 'r.yml'), rt, allowedSourceRoots: [] });
}

/** `code@line:col message` of every error. */
const brief = (ps: readonly Problem[]): string[] =>
  ps.filter((p) => p.severity === 'error').map((p) => `${p.code}@${p.location?.line}:${p.location?.col}`);

describe('params against the pass model', () => {
  it('the issue-15 recipe: guidance and steps are unknown, output_format is checked', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    params: { output_format: jpg, guidance: 3.5, steps: 30 }\n`,
    );
    expect(r.recipe).toBeNull();
    expect(brief(r.problems)).toEqual(['params-value@7:30', 'params-unknown@7:35', 'params-unknown@7:50']);
    const [value, guidance] = r.problems;
    expect(value?.message).toContain('passes[0].params.output_format: must be one of "jpeg", "png", "webp"');
    expect(guidance?.message).toContain('unknown param "guidance"');
    expect(guidance?.hint).toContain('known: output_format');
    expect(r.problems.every((p) => p.exitCode === ExitCode.DATA_ERR)).toBe(true);
  });

  it('a typo gets a did-you-mean, pointing at the key on its own line', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    provider: bfl\n    params:\n      safety_tolerence: 3\n`,
    );
    expect(brief(r.problems)).toEqual(['params-unknown@9:7']);
    expect(r.problems[0]?.hint).toContain('did you mean "safety_tolerance"?');
  });

  it('a recipe on the emulator is told "on emulator", as its aspect ratios are (walk-ah 1)', async () => {
    const r = await validate(
      `version: 1\nprovider: emulator\nsources:\n  photo: a.png\npasses:\n` +
        '  - id: a\n    prompt: x\n    params: { output_format: gif, output_fromat: png }\n',
    );
    expect(r.problems.map((p) => p.message)).toEqual([
      'passes[0].params.output_format: must be one of "jpeg", "png", "webp" ' +
        '(blackforestlabs/flux-1-kontext/pro/edit on emulator)',
      'passes[0].params: unknown param "output_fromat" for blackforestlabs/flux-1-kontext/pro/edit on emulator',
    ]);
  });

  it('the same params are right on one provider and wrong on another', async () => {
    const pass = (provider: string) => `  - id: p-${provider}\n    prompt: x\n    provider: ${provider}\n`;
    const text =
      `version: 1\ndefaults:\n  params: { output_format: jpg }\nsources:\n  photo: a.png\npasses:\n` +
      `${pass('replicate')}${pass('fal')}`;
    const r = await validate(text);
    expect(brief(r.problems)).toEqual(['params-value@3:28']);
    expect(r.problems[0]?.message).toContain('defaults.params.output_format: must be one of "jpeg", "png"');
    expect(r.problems[0]?.message).toContain('on fal');
  });

  it('fal: num_images other than 1 and a numeric safety_tolerance say why', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    provider: fal\n    params:\n` +
        '      num_images: 2\n      safety_tolerance: 2\n',
    );
    expect(brief(r.problems)).toEqual(['params-value@9:19', 'params-value@10:25']);
    expect(r.problems[0]?.message).toContain('variants: N');
    expect(r.problems[1]?.message).toContain('quote it');
  });

  it('valid params on every provider load, with the params as written (no defaults added)', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    provider: bfl\n    params: { output_format: webp, safety_tolerance: 6 }\n` +
        `  - id: b\n    prompt: x\n    provider: fal\n    params: { safety_tolerance: "5", guidance_scale: 2 }\n`,
    );
    expect(brief(r.problems)).toEqual([]);
    expect(r.recipe?.passes.map((p) => p.params)).toEqual([
      { output_format: 'webp', safety_tolerance: 6 },
      { safety_tolerance: '5', guidance_scale: 2 },
    ]);
  });
});

describe('provider and model per pass', () => {
  it('resolve: pass over defaults over recipe; aliases and endpoint ids become our id', async () => {
    const r = await validate(
      'version: 1\nprovider: emulator\nmodel: flux-kontext-pro\ndefaults:\n  provider: fal\n' +
        'sources:\n  photo: a.png\npasses:\n  - id: a\n    prompt: x\n' +
        '  - id: b\n    prompt: x\n    provider: bfl\n    model: flux-kontext-max\n' +
        '  - id: c\n    prompt: x\n    model: fal-ai/flux-pro/kontext/max\n',
    );
    expect(brief(r.problems)).toEqual([]);
    expect(r.recipe?.model).toBe('blackforestlabs/flux-1-kontext/pro/edit');
    expect(r.recipe?.passes.map((p) => [p.provider, p.model])).toEqual([
      ['fal', 'blackforestlabs/flux-1-kontext/pro/edit'],
      ['bfl', 'blackforestlabs/flux-1-kontext/max/edit'],
      ['fal', 'blackforestlabs/flux-1-kontext/max/edit'],
    ]);
  });

  it("BFL's endpoint path is a model name too, on BFL only", async () => {
    const ok = await validate(`${HEAD}  - id: a\n    prompt: x\n    provider: bfl\n    model: /v1/flux-kontext-max\n`);
    expect(brief(ok.problems)).toEqual([]);
    expect(ok.recipe?.passes[0]?.model).toBe('blackforestlabs/flux-1-kontext/max/edit');
    const bad = await validate(`${HEAD}  - id: a\n    prompt: x\n    model: /v1/flux-kontext-max\n`);
    expect(brief(bad.problems)).toEqual(['model-provider@7:12']);
  });

  it('a model the pass provider does not run is refused where the model is written', async () => {
    const r = await validate(
      'version: 1\nmodel: flux-kontext-dev\nsources:\n  photo: a.png\npasses:\n' +
        '  - id: a\n    prompt: x\n    provider: replicate\n',
    );
    expect(brief(r.problems)).toEqual(['model-provider@2:8']);
    expect(r.problems[0]?.hint).toContain('replicate offers: flux-kontext-pro');
  });

  it('an unknown provider name gets a did-you-mean from the schema', async () => {
    const r = await validate(`${HEAD}  - id: a\n    prompt: x\n    provider: replicat\n`);
    expect(brief(r.problems)).toEqual(['invalid-value@7:15']);
    expect(r.problems[0]?.hint).toContain('did you mean "replicate"?');
  });
});

describe('aspect ratios per provider', () => {
  it('4:5 on RunComfy suggests 3:4 (portrait), not 4:3', async () => {
    const r = await validate(`${HEAD}  - id: a\n    prompt: x\n    aspect_ratio: "4:5"\n`);
    expect(brief(r.problems)).toEqual(['aspect-ratio@7:19']);
    expect(r.problems[0]?.hint).toContain('did you mean "3:4"?');
    expect(r.problems[0]?.message).toContain('on runcomfy');
  });

  it('5:4 suggests 4:3; on Replicate and BFL 4:5 is fine', async () => {
    const r = await validate(`${HEAD}  - id: a\n    prompt: x\n    aspect_ratio: "5:4"\n    provider: fal\n`);
    expect(r.problems[0]?.hint).toContain('did you mean "4:3"?');
    for (const provider of ['replicate', 'bfl']) {
      const ok = await validate(
        `${HEAD}  - id: a\n    prompt: x\n    aspect_ratio: "4:5"\n    provider: ${provider}\n`,
      );
      expect(brief(ok.problems)).toEqual([]);
    }
  });

  it('a ratio nobody lists is refused by the schema with the rule message', async () => {
    const r = await validate(`${HEAD}  - id: a\n    prompt: x\n    aspect_ratio: "3:1"\n`);
    expect(brief(r.problems)).toEqual(['aspect-ratio@7:19']);
    expect(r.problems[0]?.hint).toContain('did you mean "21:9"?');
  });
});

describe('hostile values', () => {
  it('NaN, infinity, lists and objects as param values are bad values, not crashes', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    provider: bfl\n` +
        '    params: { safety_tolerance: .nan, output_format: [png], prompt_upsampling: { a: 1 } }\n' +
        '  - id: b\n    prompt: x\n    provider: bfl\n    params: { safety_tolerance: .inf }\n',
    );
    expect(brief(r.problems).map((p) => p.split('@')[0])).toEqual([
      'params-value',
      'params-value',
      'params-value',
      'params-value',
    ]);
    expect(r.recipe).toBeNull();
  });

  it('params or provider of the wrong type are schema errors; the per-model rules stay quiet', async () => {
    const r = await validate(
      `${HEAD}  - id: a\n    prompt: x\n    params: 3\n  - id: b\n    prompt: x\n    provider: [bfl]\n`,
    );
    expect(r.recipe).toBeNull();
    expect(r.problems.filter((p) => p.code.startsWith('params-') || p.code === 'model-provider')).toEqual([]);
    expect(brief(r.problems)).toHaveLength(2);
  });

  it('a misspelt alias gets a did-you-mean', async () => {
    const r = await validate(`${HEAD}  - id: a\n    prompt: x\n    model: flux-kontex-max\n`);
    expect(brief(r.problems)).toEqual(['model-format@7:12']);
    expect(r.problems[0]?.hint).toContain('did you mean "flux-kontext-max"?');
  });
});
