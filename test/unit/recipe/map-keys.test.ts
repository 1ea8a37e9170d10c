/**
 * The keys of a recipe's mappings (src/recipe/yaml/map-keys.ts): a mapping of more than
 * MAX_MAP_ENTRIES entries is refused at its line:col, exit 65, before the recipe is checked any
 * further (each key's checks and locating would take validate, run and every watch save minutes);
 * repeated keys are found by the yaml parser's own rule, without its quadratic scan.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { ExitCode } from '../../../src/errors.js';
import { setPickInText } from '../../../src/recipe/pick.js';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { MAX_MAP_ENTRIES, duplicateKeys } from '../../../src/recipe/yaml/map-keys.js';
import { parseRecipeYaml } from '../../../src/recipe/yaml/parse.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-map-keys-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A recipe whose one pass has `n` params, each on its own line from line 9. */
function manyParams(n: number): string {
  const params = Array.from({ length: n }, (_, i) => `      k${i}: 1\n`).join('');
  const head = 'version: 1\nprovider: emulator\nsources:\n  a: a.png\npasses:\n  - id: p\n    prompt: x y\n';
  return `${head}    params:\n${params}`;
}

describe('the entries of one mapping', () => {
  it('one more than the cap: refused at the mapping, exit 65, naming its key and the cap', async () => {
    const text = manyParams(MAX_MAP_ENTRIES + 1);
    const rt = createRuntime({ cwd: root, env: {} });
    const r = await validateRecipe(text, { displayPath: 'r.yml', file: path.join(root, 'r.yml'), rt });
    expect(r.recipe).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({
      code: 'yaml-too-many-keys',
      severity: 'error',
      exitCode: ExitCode.DATA_ERR,
      location: { line: 9, col: 7 },
      message: `mapping "params" has ${MAX_MAP_ENTRIES + 1} entries (at most ${MAX_MAP_ENTRIES})`,
    });
  });

  it('a flow mapping counts the same; the cap itself parses', () => {
    const flow = (n: number): string =>
      `version: 1\nparams: {${Array.from({ length: n }, (_, i) => `k${i}: 1`).join(', ')}}\n`;
    const over = parseRecipeYaml(flow(MAX_MAP_ENTRIES + 1));
    expect(over.ok ? 'ok' : over.issues.map((i) => `${i.code}@${over.lines.linePos(i.offset).line}`)).toEqual([
      'yaml-too-many-keys@2',
    ]);
    expect(parseRecipeYaml(flow(MAX_MAP_ENTRIES)).ok).toBe(true);
  });
});

describe('repeated keys, by the parser’s own rule', () => {
  // Each: the offsets yaml's own (quadratic) uniqueKeys check reports are the ones found here.
  it.each([
    ['block', 'a: 1\nb: 2\na: 3\na: 4\n'],
    ['flow', 'x: {a: 1, b: 2, a: 3}\n'],
    ['nested, each mapping apart', 'x: {a: 1}\ny: {a: 2}\nz:\n  - {k: 1, k: 2}\n'],
    ['1 and "1" differ; 1 and 1.0 do not', 'x: {1: a, "1": b, 1.0: c}\n'],
    ['true and "true"', 'x: {true: a, "true": b, True: c}\n'],
    ['null keys', 'x: {~: a, null: b}\n'],
    ['NaN is never a repeat', 'x: {.nan: a, .NaN: b}\n'],
    ['"<<" quoted', 'x: { "<<": 1, \'<<\': 2 }\n'],
    ['an empty key', ': 1\n: 2\n'],
    ['none', 'a: 1\nb: 2\n'],
  ])('%s', (_name, text) => {
    const strict = parseDocument(text, { uniqueKeys: true });
    const expected = strict.errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.pos[0]);
    const loose = parseDocument(text, { uniqueKeys: false });
    expect(duplicateKeys(loose).map((i) => i.offset)).toEqual(expected);
  });

  it('a recipe with a repeated key: every repeat, at its line, named', () => {
    const r = parseRecipeYaml('version: 1\nname: a\nname: b\nout: x\nname: c\n');
    expect(r.ok ? [] : r.issues.map((i) => `${r.lines.linePos(i.offset).line} ${i.message}`)).toEqual([
      '3 duplicate key "name"',
      '5 duplicate key "name"',
    ]);
  });

  it('kontext pick refuses a repeated key, naming it and where it is', () => {
    const text = 'passes:\n  - id: a\n    prompt: x\n    prompt: y\n    variants: 2\n';
    expect(() => setPickInText(text, 0, 1)).toThrow(/not valid YAML: duplicate key "prompt" at line 4, column 5$/);
  });
});
