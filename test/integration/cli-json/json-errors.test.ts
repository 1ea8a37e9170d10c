/**
 * Every command asked for `--json` prints its failure as one JSON line on stdout, besides its
 * lines on stderr (walk-u 7): `status`, `plan`, `report`, `clean`, `pick` left stdout empty, so a
 * `… --json | jq` script could not tell a failure from nothing to say. `run --json` keeps its own
 * `run-error` events (run-recipes.ts); without `--json` stdout stays empty.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { createProject, type Project, recipeYaml, testRuntime } from '../../helpers/run-fixtures.js';

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

async function kontext(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const rt = testRuntime((project as Project).root);
  const code = await main(args, { rt });
  return { code, stdout: rt.stdout.text(), stderr: rt.stderr.text() };
}

describe('--json failures', () => {
  it.each([
    ['status', ['status', 'bad.yml', '--json']],
    ['plan', ['plan', 'bad.yml', '--json']],
    ['plan --format json', ['plan', 'bad.yml', '--format', 'json']],
    ['report', ['report', 'bad.yml', '--json']],
    ['clean', ['clean', 'bad.yml', '--json']],
    ['pick', ['pick', 'bad.yml', 'sky#2', '--json']],
  ])('%s: an invalid recipe is one error line on stdout, its problems at file:line:col', async (_what, args) => {
    project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
    await writeFile(
      join(project.root, 'bad.yml'),
      'version: 1\nsources: { a: assets/portrait-astronaut.jpg }\npasses:\n  - id: sky\n    promt: x\n',
    );
    const r = await kontext(args);
    expect(r.code).toBe(65);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const error = JSON.parse(lines[0] ?? '') as { type: string; code: string; exit_code: number; problems: string[] };
    expect(error).toMatchObject({ type: 'error', code: 'E_RECIPE_INVALID', exit_code: 65 });
    expect(error.problems.join('\n')).toMatch(/bad\.yml:5:5: .*unknown key "promt"/);
    expect(r.stderr).toMatch(/bad\.yml:5:5: /); // as ever
  });

  it('a usage error commander finds (unknown option, missing argument): E_USAGE as JSON (review-aa 3)', async () => {
    project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
    for (const args of [
      ['status', 'recipe.yml', '--json', '--bogus'],
      ['status', '--json'],
    ]) {
      const r = await kontext(args);
      expect(r.code).toBe(64);
      expect(JSON.parse(r.stdout)).toMatchObject({ type: 'error', code: 'E_USAGE', exit_code: 64 });
    }
  });

  it('JSON only when the parsed command asks: not a --json that is a value, nor one a later flag undid', async () => {
    project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
    const edit = await kontext(['edit', '--image', 'missing.jpg', '--prompt', '--json', '--provider', 'emulator']);
    expect(edit.code).toBe(66);
    expect(edit.stdout).toBe('');
    // Refused by commander (no --image): the value of --prompt still asks for nothing (review-ab 4).
    const usage = await kontext(['edit', '--prompt', '--json']);
    expect(usage.code).toBe(64);
    expect(usage.stdout).toBe('');
    await writeFile(join(project.root, 'bad.yml'), 'version: 1\npasses:\n  - id: sky\n    promt: x\n');
    const plan = await kontext(['plan', 'bad.yml', '--format', 'json', '--format', 'text']);
    expect(plan.code).toBe(65);
    expect(plan.stdout).toBe('');
  });

  it('a missing recipe: exit 66 as JSON too; without --json, stdout stays empty', async () => {
    project = await createProject(recipeYaml([['sky', 'Make the sky pink']]));
    const r = await kontext(['status', 'nope.yml', '--json']);
    expect(r.code).toBe(66);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'error',
      exit_code: 66,
      problems: [expect.stringContaining('nope.yml')],
    });
    const plain = await kontext(['status', 'nope.yml']);
    expect(plain.code).toBe(66);
    expect(plain.stdout).toBe('');
  });
});
