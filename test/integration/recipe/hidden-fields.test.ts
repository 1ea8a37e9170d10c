/**
 * Hidden characters in the fields other than prompts and names, through validateRecipeFile on a
 * real disk: one error at the character, exit 65, and no other finding on the same field (which
 * would quote the value with the character in it, or send a look-alike path to the disk: exit 66).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecipeError, formatProblem } from '../../../src/errors.js';
import { loadRecipe, validateRecipeFile } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';
let rt: Runtime;
const ZW = '\u200B';

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-hidden-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'shots'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'shots', 'cat.jpg'));
  // A file whose name holds the character: the recipe's path finds it.
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'shots', `cat${ZW}.jpg`));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every problem of `yaml` as the CLI prints it. */
async function lines(yaml: string): Promise<string[]> {
  await writeFile(path.join(root, 'r.yml'), yaml);
  const result = await validateRecipeFile('r.yml', { rt });
  return result.problems.map(formatProblem);
}

const recipe = (source: string, pass = '') =>
  `version: 1\nsources:\n  ${source}\npasses:\n  - id: hat\n    prompt: Keep it. Add a hat.\n${pass}`;

describe('hidden characters beyond prompts and names', () => {
  it('a source path that exists with a zero-width space in its name: refused, exit 65', async () => {
    const yaml = recipe(`photo: "shots/cat${ZW}.jpg"`);
    expect(await lines(yaml)).toEqual([
      'r.yml:3:20: sources.photo: source holds U+200B (ZERO WIDTH SPACE), an invisible character: ' +
        'it looks the same as a name without it, and is not (names, paths and values are used as written, ' +
        'not as shown; remove it)',
    ]);
    const err = await loadRecipe('r.yml', { rt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecipeError);
    expect((err as RecipeError).exitCode).toBe(65);
  });

  it('a source path that does not exist: the character, not "not found" (exit 66)', async () => {
    await writeFile(path.join(root, 'r.yml'), recipe(`photo: "shots/dog\\u2060.jpg"`));
    const err = (await loadRecipe('r.yml', { rt }).catch((e: unknown) => e)) as RecipeError;
    expect(err.exitCode).toBe(65);
    expect(err.problems.map((p) => `${p.code}@${p.location?.line}:${p.location?.col}`)).toEqual([
      'invisible-character@3:20',
    ]);
  });

  it.each([
    [
      'from:',
      recipe('photo: shots/cat.jpg', `    from: "photo${ZW}"\n`),
      'r.yml:7:17: passes[0].from: from holds U+200B',
    ],
    ['model:', recipe('photo: shots/cat.jpg', `    model: "flux-kontext-pro${ZW}"\n`), 'r.yml:7:29: passes[0].model:'],
    ['provider:', recipe('photo: shots/cat.jpg', '    provider: "\\u00ADbfl"\n'), 'r.yml:7:16: passes[0].provider:'],
    ['an unknown key', recipe('photo: shots/cat.jpg', `    se${ZW}ed: 1\n`), 'r.yml:7:7: passes[0]: key holds U+200B'],
    ['a source name', recipe(`pho\u200Dto: shots/cat.jpg`), 'r.yml:3:6: sources: source name holds U+200D'],
    [
      'a param name',
      recipe('photo: shots/cat.jpg', `    params: { "output\\u200Bformat": png }\n`),
      'r.yml:7:22: passes[0].params: param name holds U+200B',
    ],
  ])('%s: one finding at the character, nothing else on the field', async (_what, yaml, start) => {
    const found = await lines(yaml);
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(start), found[0]).toBe(true);
    // The message never quotes the character itself.
    expect(found[0]).not.toMatch(/[\u200B-\u200D\u00AD]/);
  });

  it('a prompt holding one gets no lint warning, which would quote its words, the character in them', async () => {
    const yaml = recipe('photo: shots/cat.jpg').replace(
      'Keep it. Add a hat.',
      '"Add a hat, \\u202Ea scarf and boots to both images"',
    );
    const found = await lines(yaml);
    expect(found, found.join('\n')).toHaveLength(1);
    expect(found[0]).toMatch(/^r\.yml:6:25: passes\[0\]\.prompt: prompt holds U\+202E/);
  });

  it('an unknown key whose value holds one: still named unknown; a prompt in defaults: is a text', async () => {
    const yaml = recipe('photo: shots/cat.jpg').replace(
      'version: 1\n',
      `version: 1\ndefaults:\n  prompt: |\n    Keep the face.\n    Add a${ZW} hat.\n`,
    );
    const found = (await lines(yaml)).map((l) => l.split(' (')[0]);
    expect(found).toEqual([
      'r.yml:3:3: defaults: unknown key "prompt"',
      'r.yml:5:10: defaults.prompt: prompt holds U+200B',
    ]);
  });

  it("another field's finding that quotes the name writes its bidi control out, not raw", async () => {
    const yaml = recipe('photo: shots/cat.jpg').replace('  photo:', '  "x\\u202Ey": shots/cat.jpg\n  photo:');
    const found = await lines(yaml);
    expect(found.some((l) => l.includes('there are 2 sources: x\\u{202E}y, photo'))).toBe(true);
    expect(found.join('\n')).not.toMatch(/\u202E/);
  });

  it('ZWJ in a prompt is text: the recipe validates', async () => {
    const yaml = recipe('photo: shots/cat.jpg', '    params: { output_format: png }\n').replace(
      'Add a hat.',
      'Add a 👩\u200D💻 badge.',
    );
    expect((await lines(yaml)).filter((l) => !l.includes('warning'))).toEqual([]);
  });

  it('a Persian out: folder and save: name with their ZWNJ validate; a ZWNJ next to ASCII does not', async () => {
    const persian = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645';
    const pass = `    params: { output_format: png }\n    save: "${persian}/{ext}"\n`;
    const ok = recipe('photo: shots/cat.jpg', pass).replace('version: 1\n', `version: 1\nout: "${persian}"\n`);
    expect((await lines(ok)).filter((l) => !l.includes('warning'))).toEqual([]);
    const bad = ok.replace(`out: "${persian}"`, `out: "${persian}\u200Cx"`);
    const found = await lines(bad);
    expect(found[0]).toContain('(a name keeps a ZWNJ or ZWJ only between two letters of Arabic, Persian');
    expect(found.map((l) => l.split(', an invisible')[0])).toEqual([
      'r.yml:2:15: out: output folder holds U+200C (ZERO WIDTH NON-JOINER)',
    ]);
  });

  it.each([
    [
      'a right-to-left override',
      'cat\u202Egnp.yml',
      'cat\\u{202E}gnp.yml',
      'U+202E (RIGHT-TO-LEFT OVERRIDE) at character 4',
    ],
    ['a zero-width space', 'r\u200B.yml', 'r\\u{200B}.yml', 'U+200B (ZERO WIDTH SPACE) at character 2'],
    ['an escape', 'r\u001b[2J.yml', 'r\\u{1B}[2J.yml', 'U+001B (a control character) at character 2'],
  ])("the recipe's file name holding %s: refused, exit 65, the name written out", async (_what, name, shown, held) => {
    await writeFile(path.join(root, name), recipe('photo: shots/cat.jpg'));
    const err = (await loadRecipe(name, { rt }).catch((e: unknown) => e)) as RecipeError;
    expect(err).toBeInstanceOf(RecipeError);
    expect(err.exitCode).toBe(65);
    expect(err.problems.map(formatProblem)).toEqual([
      `${shown}: the recipe's file name holds ${held}, and names the lock file ` +
        `(${shown.replace(/\.yml$/, '')}.lock.json) and the default output folder ` +
        '(rename the file without it: a name must read as it is)',
    ]);
  });

  it("a Persian file name with its ZWNJ is a recipe's name like any other", async () => {
    const name = '\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645.yml';
    await writeFile(path.join(root, name), recipe('photo: shots/cat.jpg', '    params: { output_format: png }\n'));
    const result = await validateRecipeFile(name, { rt });
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });
});
