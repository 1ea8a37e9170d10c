/**
 * A shared recipe cannot make kontext read (and so upload) secrets: every local source must be
 * an image by its first bytes and must really live in the project (or a folder the user
 * allowed), after following symlinks. Each refusal is exit 65 at the source's line:col.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, formatProblem, type RecipeError } from '../../../src/errors.js';
import { loadRecipe } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';
let outside = '';
let rt: Runtime;

const PASSES = 'passes:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n';

async function recipe(sources: string): Promise<void> {
  await writeFile(path.join(root, 'r.yml'), `version: 1\nsources:\n${sources}${PASSES}`);
}

async function refusal(): Promise<RecipeError> {
  const e = await loadRecipe('r.yml', { rt }).then(
    () => null,
    (x: unknown) => x as RecipeError,
  );
  if (e === null) throw new Error('expected the recipe to be refused');
  return e;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-srcguard-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'kontext-secrets-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'assets'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'assets', 'cat.jpg'));
  await writeFile(path.join(root, '.env'), 'AWS_SECRET_ACCESS_KEY=hunter2\n');
  await writeFile(path.join(outside, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(outside, 'holiday.jpg'));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('sources must be images inside the project', () => {
  it('`.env` as a source: exit 65 at its line:col, naming the file', async () => {
    await recipe('  a: .env\n');
    const e = await refusal();
    expect(e.exitCode).toBe(ExitCode.DATA_ERR);
    expect(e.problems).toHaveLength(1);
    expect(formatProblem(e.problems[0] as RecipeError['problems'][number])).toMatch(
      /^r\.yml:3:6: sources\.a: "\.env" is not an image/,
    );
  });

  it('a "photo" that is a symlink to a key outside the root: exit 65 naming the link and its target', async () => {
    await symlink(path.join(outside, 'id_rsa'), path.join(root, 'assets', 'photo.jpg'));
    await recipe('  a: assets/photo.jpg\n');
    const e = await refusal();
    expect(e.exitCode).toBe(ExitCode.DATA_ERR);
    expect(e.problems[0]).toMatchObject({ code: 'source-outside-root', location: { line: 3, col: 6 } });
    expect(e.problems[0]?.message).toContain('"assets/photo.jpg" is a symlink to');
    expect(e.problems[0]?.message).toContain(path.join(outside, 'id_rsa'));
  });

  it('a symlink to a real image outside the root is refused too; allowed_source_roots lets it in', async () => {
    await symlink(path.join(outside, 'holiday.jpg'), path.join(root, 'assets', 'holiday.jpg'));
    await recipe('  a: assets/holiday.jpg\n');
    expect((await refusal()).problems[0]).toMatchObject({ code: 'source-outside-root' });

    const configDir = path.join(root, 'cfg');
    await mkdir(configDir);
    await writeFile(path.join(configDir, 'config.json'), JSON.stringify({ allowed_source_roots: [outside] }));
    rt = createRuntime({ cwd: root, env: { HOME: root, KONTEXT_CONFIG_DIR: configDir } });
    const loaded = await loadRecipe('r.yml', { rt });
    expect(loaded.sources[0]?.instances[0]?.path).toBe(path.join(root, 'assets', 'holiday.jpg'));
  });

  it('a symlink that stays inside the project is fine', async () => {
    await symlink(path.join(root, 'assets', 'cat.jpg'), path.join(root, 'assets', 'alias.jpg'));
    await recipe('  a: assets/alias.jpg\n');
    await expect(loadRecipe('r.yml', { rt })).resolves.toMatchObject({ name: 'r' });
  });

  it.each(['**/../../outside/*.jpg', 'assets/*/../../{x,../y}/*.jpg', '{assets,**/..}/*.jpg'])(
    'a glob with ".." after a wildcard (%s): exit 65 at its line:col before any folder is listed (walk-p)',
    async (glob) => {
      await recipe(`  shots: "${glob}"\n`);
      const e = await refusal();
      expect(e.problems[0]).toMatchObject({ code: 'glob-pattern', location: { line: 3, col: 10 } });
      expect(e.problems[0]?.message).toContain('".." after a wildcard would climb out of the folders it lists');
    },
  );

  it('".." before the first wildcard is fine when it stays inside the project', async () => {
    await mkdir(path.join(root, 'sub'), { recursive: true });
    await writeFile(
      path.join(root, 'sub', 'r.yml'),
      'version: 1\nsources:\n  shots: "../assets/c*.jpg"\npasses:\n  - id: a\n    prompt: x\n',
    );
    await expect(loadRecipe('sub/r.yml', { rt })).resolves.toMatchObject({ name: 'r' });
  });

  it('a glob that matches a non-image names that file', async () => {
    await writeFile(path.join(root, 'assets', 'notes.jpg'), 'not really a jpeg');
    await recipe('  shots: assets/*.jpg\n');
    const e = await refusal();
    expect(e.problems[0]).toMatchObject({ code: 'source-not-image', location: { line: 3, col: 10 } });
    expect(e.problems[0]?.message).toContain('"assets/notes.jpg" is not an image');
  });

  it('a glob match that links outside the root is refused', async () => {
    await symlink(path.join(outside, 'holiday.jpg'), path.join(root, 'assets', 'z.jpg'));
    await recipe('  shots: assets/*.jpg\n');
    expect((await refusal()).problems[0]?.message).toMatch(
      /"assets\/z\.jpg" is a symlink to .*outside the project root/,
    );
  });
});
