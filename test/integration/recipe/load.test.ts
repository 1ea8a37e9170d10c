/** loadRecipe / validateRecipe against real temp directories. */
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, KontextError, RecipeError } from '../../../src/errors.js';
import { findProjectRoot, loadRecipe, validateRecipe, validateRecipeFile } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { lockPathFor } from '../../../src/run/run-recipe.js';
import { lockPathOfRecipeFile } from '../../../src/run/run-lock.js';

let root = '';
let rt: Runtime;

/** The PNG signature: sources must be images by their first bytes, whatever the test writes after it. */
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function put(rel: string, content: string | Uint8Array = ''): Promise<string> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  const image = typeof content === 'string' && /\.(png|jpe?g)$/.test(rel);
  await writeFile(file, image ? Buffer.concat([PNG_MAGIC, Buffer.from(content)]) : content);
  return file;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-load-'));
  await mkdir(path.join(root, '.git'));
  await put('recipes/assets/photo.jpg', 'jpg');
  rt = createRuntime({ cwd: root, env: {} });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const HEAD = 'version: 1\nsources:\n  photo: assets/photo.jpg\npasses:\n';

describe('loadRecipe', () => {
  it('resolves defaults, inputs and paths', async () => {
    await put(
      'recipes/portrait.yml',
      'version: 1\ndefaults:\n  seed: 5\n  aspect_ratio: "3:4"\n  model: acme/kontext/edit\n' +
        '  params: { a: 1, b: 1 }\n  save: out/{pass}.{ext}\nsources:\n  photo: assets/photo.jpg\npasses:\n' +
        '  - id: one\n    prompt: "  Keep the face unchanged. Add a hat.  "\n    params: { b: 2 }\n  - id: two\n' +
        '    prompt: Keep the face unchanged. Add a scarf.\n    seed: 9\n    variants: 2\n' +
        '    save: out/{pass}-{variant}.{ext}\n',
    );
    const recipe = await loadRecipe('recipes/portrait.yml', { rt });
    expect(recipe).toMatchObject({
      file: path.join(root, 'recipes/portrait.yml'),
      displayPath: 'recipes/portrait.yml',
      dir: path.join(root, 'recipes'),
      projectRoot: root,
      name: 'portrait',
      provider: 'runcomfy',
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
      outDir: path.join(root, 'recipes/out/portrait'),
      warnings: [],
    });
    const [one, two] = recipe.passes;
    expect(one).toMatchObject({
      id: 'one',
      prompt: 'Keep the face unchanged. Add a hat.',
      from: { kind: 'source', name: 'photo' },
      seed: 5,
      aspectRatio: '3:4',
      variants: 1,
      model: 'acme/kontext/edit',
      params: { a: 1, b: 2 },
      save: path.join(root, 'recipes/out/{pass}.{ext}'),
      location: { file: 'recipes/portrait.yml', line: 11, col: 5 },
      promptLocation: { file: 'recipes/portrait.yml', line: 12, col: 13 },
    });
    expect(two).toMatchObject({
      from: { kind: 'pass', id: 'one' },
      seed: 9,
      variants: 2,
      save: path.join(root, 'recipes/out/{pass}-{variant}.{ext}'),
    });
    expect(recipe.sources).toEqual([
      {
        name: 'photo',
        kind: 'file',
        spec: 'assets/photo.jpg',
        instances: [{ instance: null, path: path.join(root, 'recipes/assets/photo.jpg') }],
        location: { file: 'recipes/portrait.yml', line: 9, col: 10 },
      },
    ]);
  });

  it('a missing recipe file is exit 66, not a recipe problem', async () => {
    const err = await rejection(loadRecipe('recipes/nope.yml', { rt }));
    expect(err).toBeInstanceOf(KontextError);
    expect(err).not.toBeInstanceOf(RecipeError);
    expect((err as KontextError).exitCode).toBe(ExitCode.NO_INPUT);
    expect((err as KontextError).message).toBe('recipes/nope.yml: recipe not found');
    // One that looks like an option (`push -- --shard 1/3`) says so (walk-ai 3).
    const option = (await rejection(loadRecipe('--shard', { rt }))) as KontextError;
    expect([option.message, option.exitCode]).toEqual(['--shard: recipe not found', ExitCode.NO_INPUT]);
    expect(option.hint).toMatch(
      /; it looks like an option given after `--` or in the wrong place: options go before `--`$/,
    );
  });

  it('a folder given as the recipe is exit 66', async () => {
    const err = (await rejection(loadRecipe('recipes', { rt }))) as KontextError;
    expect([err.code, err.exitCode]).toEqual(['E_RECIPE_NOT_FILE', ExitCode.NO_INPUT]);
  });

  it('invalid UTF-8 is reported at its line and column', async () => {
    await put(
      'recipes/bad.yml',
      Buffer.concat([Buffer.from('version: 1\nname: caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
    );
    const err = (await rejection(loadRecipe('recipes/bad.yml', { rt }))) as RecipeError;
    expect(err.problems.map((p) => `${p.code}@${p.location?.line}:${p.location?.col}`)).toEqual(['yaml-binary@2:10']);
    expect(err.problems[0]?.message).toBe('not a text file: found invalid UTF-8');
  });

  it('a source folder instead of a file is exit 66 with a glob hint', async () => {
    await put(
      'recipes/r.yml',
      'version: 1\nsources:\n  photo: assets\npasses:\n  - id: a\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    const err = (await rejection(loadRecipe('recipes/r.yml', { rt }))) as RecipeError;
    expect(err.exitCode).toBe(ExitCode.NO_INPUT);
    expect(err.problems[0]).toMatchObject({
      code: 'source-not-file',
      hint: 'to use every image in it, write a glob such as assets/*.jpg',
    });
  });

  it('a source that is a link to /dev/urandom is exit 66, not a regular file (as edit --image says)', async () => {
    await put(
      'recipes/r.yml',
      'version: 1\nsources:\n  photo: random.png\npasses:\n  - id: a\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    await symlink('/dev/urandom', path.join(root, 'recipes', 'random.png'));
    const err = (await rejection(loadRecipe('recipes/r.yml', { rt }))) as RecipeError;
    expect(err.exitCode).toBe(ExitCode.NO_INPUT);
    expect(err.problems[0]).toMatchObject({
      code: 'source-not-file',
      message: 'sources.photo: not a regular file (a device, FIFO or socket): "random.png"',
    });
  });

  it('refuses a source outside the project root, unless its folder is in allowed_source_roots', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'kontext-outside-'));
    try {
      await writeFile(path.join(outside, 'x.jpg'), Buffer.concat([PNG_MAGIC, Buffer.from('x')]));
      await put(
        'recipes/r.yml',
        `version: 1\nsources:\n  photo: ${path.join(outside, 'x.jpg')}\npasses:\n  - id: a\n` +
          '    prompt: Keep it unchanged. Add a hat.\n',
      );
      const err = (await rejection(loadRecipe('recipes/r.yml', { rt }))) as RecipeError;
      expect(err.exitCode).toBe(ExitCode.DATA_ERR);
      expect(err.problems[0]).toMatchObject({ code: 'source-outside-root', location: { line: 3, col: 10 } });
      const recipe = await loadRecipe('recipes/r.yml', { rt, allowedSourceRoots: [outside] });
      expect(recipe.sources[0]?.instances[0]?.path).toBe(path.join(outside, 'x.jpg'));
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('reads a recipe reached through a symlinked folder where that folder is (walk-ag 4)', async () => {
    await put(
      'campaigns/spring/all.yml',
      'version: 1\nsources:\n  shots: ../../common/*.jpg\n' +
        'passes:\n  - id: a\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    await put('common/bag.jpg', 'jpg');
    await symlink(path.join('campaigns', 'spring'), path.join(root, 'linked'));
    const real = path.join(await realpath(root), 'campaigns', 'spring');
    // As `cd linked && kontext run all.yml` and the OS read it: `..` from the real folder, not from `linked/`.
    for (const typed of ['linked/all.yml', 'linked/../spring/all.yml']) {
      const recipe = await loadRecipe(typed, { rt });
      expect(recipe).toMatchObject({ displayPath: typed, dir: real, outDir: path.join(real, 'out', 'all') });
      expect(recipe.sources[0]?.instances[0]?.path).toBe(path.join(await realpath(root), 'common', 'bag.jpg'));
      expect(lockPathFor(recipe)).toBe(path.join(real, 'all.lock.json'));
      expect(lockPathOfRecipeFile(typed, root)).toBe(lockPathFor(recipe));
    }
  });

  it('names the image kind it does not send: TIFF, SVG (walk-af 10)', async () => {
    await put('recipes/assets/c.tiff', Buffer.from('49492a00080000000000', 'hex'));
    await put('recipes/assets/c.svg', '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n');
    for (const [file, kind] of [
      ['c.tiff', 'TIFF'],
      ['c.svg', 'SVG'],
    ]) {
      await put(
        'recipes/r.yml',
        `version: 1\nsources:\n  photo: assets/${file}\n` +
          'passes:\n  - id: a\n    prompt: Keep it unchanged. Add a hat.\n',
      );
      const err = (await rejection(loadRecipe('recipes/r.yml', { rt }))) as RecipeError;
      expect(err.problems[0]).toMatchObject({
        code: 'source-not-image',
        message:
          `sources.photo: "assets/${file}" is not a supported image kind (${kind}; kontext sends PNG, JPEG, WebP, ` +
          'GIF, AVIF or HEIC); kontext uploads sources, so it refuses to read it',
      });
    }
  });

  it('keeps https sources as URLs', async () => {
    await put(
      'recipes/r.yml',
      'version: 1\nsources:\n  photo: https://example.com/a b.jpg\npasses:\n  - id: a\n' +
        '    prompt: Keep it unchanged. Add a hat.\n',
    );
    const recipe = await loadRecipe('recipes/r.yml', { rt });
    expect(recipe.sources[0]).toMatchObject({
      kind: 'url',
      instances: [{ instance: null, url: 'https://example.com/a%20b.jpg' }],
    });
  });
});

describe('project root and output confinement', () => {
  const recipe = (out: string) =>
    `version: 1\nout: ${out}\n${HEAD.slice('version: 1\n'.length)}  - id: a\n` +
    '    prompt: Keep it unchanged. Add a hat.\n';

  it('allows outputs anywhere inside the nearest .git folder', async () => {
    await put('recipes/r.yml', recipe('../build/out'));
    expect((await loadRecipe('recipes/r.yml', { rt })).outDir).toBe(path.join(root, 'build/out'));
  });

  it('refuses outputs above it, unless allowed', async () => {
    await put('recipes/r.yml', recipe('../../elsewhere'));
    const err = (await rejection(loadRecipe('recipes/r.yml', { rt }))) as RecipeError;
    expect(err.problems.map((p) => p.code)).toEqual(['outside-root']);
    const allowed = await loadRecipe('recipes/r.yml', { rt, allowOutsideRoot: true });
    expect(allowed.outDir).toBe(path.resolve(root, '../elsewhere'));
  });

  it('falls back to the working directory without .git', async () => {
    await rm(path.join(root, '.git'), { recursive: true });
    expect(findProjectRoot(path.join(root, 'recipes'), path.join(root, 'recipes'))).toBe(path.join(root, 'recipes'));
    await put('recipes/r.yml', recipe('../x'));
    const inRecipes = createRuntime({ cwd: path.join(root, 'recipes'), env: {} });
    const err = (await rejection(loadRecipe('r.yml', { rt: inRecipes }))) as RecipeError;
    expect(err.problems[0]?.code).toBe('outside-root');
    // walk-r 4: the message says why (no .git), not only that everything is outside.
    expect(err.problems[0]?.hint).toContain("no .git in or above the recipe's folder");
    expect((await loadRecipe('recipes/r.yml', { rt })).outDir).toBe(path.join(root, 'x'));
    // The folder it runs in a repository of its own, the recipe outside it: still the fallback (review-y 10).
    await mkdir(path.join(root, 'elsewhere', '.git'), { recursive: true });
    const fromRepo = createRuntime({ cwd: path.join(root, 'elsewhere'), env: {} });
    const elsewhere = (await rejection(loadRecipe('../recipes/r.yml', { rt: fromRepo }))) as RecipeError;
    expect(elsewhere.problems[0]?.hint).toContain("no .git in or above the recipe's folder");
    await mkdir(path.join(root, 'recipes', '.git'));
    const withGit = (await rejection(loadRecipe('r.yml', { rt: inRecipes }))) as RecipeError;
    expect(withGit.problems[0]?.hint).not.toContain('no .git');
  });

  it('finds a .git file (worktrees, submodules) as well as a folder', async () => {
    await put('nested/.git', 'gitdir: ../.git/worktrees/nested');
    expect(findProjectRoot(path.join(root, 'nested/deep/er'), '/')).toBe(path.join(root, 'nested'));
  });
});

describe('prompt lint in validation', () => {
  const text =
    `${HEAD}  - id: a\n    prompt: |\n      Keep the face unchanged.\n` +
    '      Change the jacket to red and add a hat.\n';

  it('reports findings as warnings at the offending line, and still returns the recipe', async () => {
    const file = await put('recipes/r.yml', text);
    const result = await validateRecipe(text, { displayPath: 'r.yml', file, rt });
    expect(result.recipe).not.toBeNull();
    const warning = result.problems.find((p) => p.code === 'lint/compound-edit');
    expect(warning).toMatchObject({ severity: 'warning', location: { file: 'r.yml', line: 8, col: 36 } });
    expect(result.recipe?.warnings).toEqual(result.problems);
  });

  it('strict turns them into errors (exit 65)', async () => {
    await put('recipes/r.yml', text);
    const err = (await rejection(loadRecipe('recipes/r.yml', { rt, strict: true }))) as RecipeError;
    expect(err.exitCode).toBe(ExitCode.DATA_ERR);
    expect(err.problems.every((p) => p.severity === 'error')).toBe(true);
    expect(err.problems.map((p) => p.code)).toContain('lint/compound-edit');
  });
});

describe('validateRecipe never throws for bad input', () => {
  it.each([
    ['garbage', '\u0000\u0001\u0002'],
    ['a list', '[1, 2, 3]'],
    ['null document', '~'],
    ['numbers for everything', 'version: 1\nsources: 5\npasses: 7\n'],
    ['passes of scalars', 'version: 1\nsources:\n  a: b\npasses: [1, "x", null]\n'],
    [
      'deep nonsense',
      'version: 1\nsources: { a: [ { b: c } ] }\npasses: [{ id: [1], prompt: {}, from: 3, seed: "x", variants: [], ' +
        'save: 1, model: {}, params: [] }]\n',
    ],
    ['an empty source', 'version: 1\nsources:\n  a: ""\npasses:\n  - id: a\n    prompt: x\n'],
    ['non-string keys', 'version: 1\nsources:\n  ? [a]\n  : b.jpg\npasses:\n  - id: a\n    prompt: x\n'],
  ])('%s', async (_name, text) => {
    const file = path.join(root, 'recipes/r.yml');
    const result = await validateRecipe(text, { displayPath: 'r.yml', file, rt });
    expect(result.recipe).toBeNull();
    expect(result.problems.length).toBeGreaterThan(0);
    for (const p of result.problems) expect(p.location?.line).toBeGreaterThanOrEqual(1);
  });

  it('validateRecipeFile returns problems instead of throwing', async () => {
    await put('recipes/r.yml', `${HEAD}  - id: A\n    prompt: x\n    seed: -1\n`);
    const result = await validateRecipeFile('recipes/r.yml', { rt });
    expect(result.recipe).toBeNull();
    expect(result.problems.map((p) => p.code)).toEqual(['name-format', 'seed-range']);
  });
});

describe('globs never pick up the run’s own files', () => {
  it('`**` skips out/ (default and custom), the cache dir and node_modules', async () => {
    await put('recipes/shots/a.png', 'a');
    await put('recipes/shots/deep/b.png', 'b');
    await put('recipes/out/batch/last-run.png', 'old output');
    await put('recipes/renders/x.png', 'custom out');
    await put('recipes/node_modules/pkg/icon.png', 'dep');
    await put('.kontext/blobs/ab/cd.png', 'blob');
    await put(
      'recipes/batch.yml',
      'version: 1\nsources:\n  shots: "**/*.png"\npasses:\n  - id: one\n' +
        '    prompt: Keep the product unchanged. Replace the background with white.\n',
    );
    const recipe = await loadRecipe('recipes/batch.yml', { rt });
    expect(recipe.sources[0]?.instances.map((i) => path.relative(root, i.path ?? ''))).toEqual([
      'recipes/renders/x.png',
      'recipes/shots/a.png',
      'recipes/shots/deep/b.png',
    ]);
    await put(
      'recipes/custom.yml',
      'version: 1\nout: renders\nsources:\n  shots: "*/*.png"\npasses:\n  - id: one\n' +
        '    prompt: Keep the product unchanged. Replace the background with white.\n',
    );
    const custom = await loadRecipe('recipes/custom.yml', { rt });
    // With `out: renders` the recipe's own output folder is renders/, so a wildcard skips it.
    expect(custom.sources[0]?.instances.map((i) => path.relative(root, i.path ?? ''))).toEqual(['recipes/shots/a.png']);
  });
});
