/**
 * Every kind of malformed recipe, as a committed fixture: the right code, the right exit code
 * (65 invalid, 66 missing input) and a pointer to the right line and column.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, RecipeError, formatProblem } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime } from '../../../src/runtime.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DIR = 'test/fixtures/recipes';
const rt = createRuntime({ cwd: ROOT, env: {} });

async function failure(file: string, cwd = ROOT): Promise<RecipeError> {
  try {
    await loadRecipe(file, { rt: createRuntime({ cwd, env: {} }) });
  } catch (e) {
    if (e instanceof RecipeError) return e;
    throw e;
  }
  throw new Error(`${file} was expected to fail validation`);
}

const CASES = [
  ['bad-yaml', 'yaml-syntax', ExitCode.DATA_ERR, 4, 1],
  ['duplicate-key', 'yaml-duplicate-key', ExitCode.DATA_ERR, 8, 5],
  ['alias-bomb', 'yaml-alias-limit', ExitCode.DATA_ERR, 4, 9],
  ['binary-garbage', 'yaml-binary', ExitCode.DATA_ERR, 2, 7],
  ['empty', 'yaml-empty', ExitCode.DATA_ERR, 1, 1],
  ['tabs', 'yaml-tab', ExitCode.DATA_ERR, 4, 1],
  ['unknown-key', 'unknown-key', ExitCode.DATA_ERR, 8, 5],
  ['unknown-from', 'from-unknown', ExitCode.DATA_ERR, 9, 11],
  ['cycle', 'from-cycle', ExitCode.DATA_ERR, 7, 11],
  ['ambiguous-source', 'from-ambiguous', ExitCode.DATA_ERR, 7, 5],
  ['bad-seed', 'seed-range', ExitCode.DATA_ERR, 8, 11],
  ['bad-variants', 'variants-range', ExitCode.DATA_ERR, 8, 15],
  ['nested-variants', 'nested-variants', ExitCode.DATA_ERR, 11, 15],
  ['bad-aspect-ratio', 'aspect-ratio', ExitCode.DATA_ERR, 4, 17],
  ['bad-placeholder', 'save-placeholder', ExitCode.DATA_ERR, 8, 11],
  ['out-outside-root', 'outside-root', ExitCode.DATA_ERR, 3, 6],
  ['http-source', 'source-http', ExitCode.DATA_ERR, 4, 10],
  ['url-credentials', 'source-url-credentials', ExitCode.DATA_ERR, 4, 10],
  ['missing-source', 'source-missing', ExitCode.NO_INPUT, 4, 10],
  ['glob-no-match', 'glob-no-match', ExitCode.NO_INPUT, 4, 10],
] as const;

describe('malformed recipe fixtures', () => {
  it.each(CASES)('%s: %s, exit %d, at %d:%d', async (name, code, exitCode, line, col) => {
    const file = `${DIR}/${name}.yml`;
    const err = await failure(file);
    expect(err.exitCode).toBe(exitCode);
    expect(err.problems).toHaveLength(1);
    const [problem] = err.problems;
    expect(problem?.code).toBe(code);
    // The location names the file exactly as it was typed.
    expect(problem?.location).toEqual({ file, line, col });
    expect(formatProblem(problem!)).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:${line}:${col}: `));
  });

  it('gives actionable hints for typos', async () => {
    const hints = await Promise.all(
      ['unknown-key', 'unknown-from', 'bad-placeholder', 'missing-source'].map(
        async (n) => (await failure(`${DIR}/${n}.yml`)).problems[0]?.hint,
      ),
    );
    expect(hints).toEqual([
      'did you mean "seed"?',
      'did you mean "jacket"?',
      'did you mean "{source}"? allowed: {source}, {pass}, {variant}, {ext}',
      'did you mean "assets/pixel.png"?',
    ]);
  });

  it('reports every problem, and the worst exit code wins (66 over 65)', async () => {
    const err = await failure(`${DIR}/missing-and-invalid.yml`);
    expect(err.problems.map((p) => p.code)).toEqual(['source-missing', 'seed-range']);
    expect(err.exitCode).toBe(ExitCode.NO_INPUT);
  });

  it('a source URL with a password is refused without printing the password', async () => {
    const err = await failure(`${DIR}/url-credentials.yml`);
    expect(err.problems[0]?.message).toBe(
      'sources.photo: URL with a user name or password: "https://***@example.com/photo.jpg"',
    );
    expect(formatProblem(err.problems[0]!)).not.toMatch(/s3cret|alice/);
  });

  it('keeps a path typed from another folder as typed', async () => {
    const err = await failure('../cycle.yml', path.join(ROOT, DIR, 'assets'));
    expect(err.problems[0]?.location?.file).toBe('../cycle.yml');
  });

  it('the valid fixture loads, with every feature resolved', async () => {
    const recipe = await loadRecipe(`${DIR}/valid.yml`, { rt });
    expect(recipe.warnings).toEqual([]);
    expect(recipe.sources.map((s) => [s.name, s.kind, s.instances.length])).toEqual([
      ['pixel', 'file', 1],
      ['remote', 'url', 1],
      ['pngs', 'glob', 2],
    ]);
    expect(recipe.passes.map((p) => p.from)).toEqual([
      { kind: 'source', name: 'pixel' },
      { kind: 'pass', id: 'hat' },
      { kind: 'source', name: 'remote' },
      { kind: 'source', name: 'pngs' },
    ]);
  });
});

describe('a 10,000-alias bomb', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kontext-bomb-'));
    await writeFile(
      path.join(dir, 'bomb.yml'),
      `version: 1\nx: &x lol\nl: [${Array.from({ length: 10_000 }, () => '*x').join(', ')}]\n`,
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('fails with one clear error and a position', async () => {
    const err = await failure('bomb.yml', dir);
    expect(err.problems.map((p) => `${p.code}@${p.location?.line}:${p.location?.col}`)).toEqual([
      'yaml-alias-limit@3:5',
    ]);
    expect(err.exitCode).toBe(ExitCode.DATA_ERR);
  });
});
