/**
 * At write time, a run follows no link at an output path: a symlink planted at the final output
 * name after the recipe was validated is replaced by the output, and its target is untouched.
 */
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateRecipeFile } from '../../../src/recipe/index.js';
import {
  createProject,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

let project: Project;
let rig: Rig;
let outside: string;
beforeEach(async () => {
  project = await createProject(
    'version: 1\nname: test\nprovider: emulator\nsources:\n' +
      '  cat: assets/pet-chelsea.jpg\npasses:\n  - id: hat\n' +
      '    prompt: Keep the cat unchanged. Add a hat.\n    seed: 3\n',
  );
  rig = await startRig();
  outside = await mkdtemp(join(tmpdir(), 'kontext-victim-'));
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
  await rm(outside, { recursive: true, force: true });
});

describe('output links', () => {
  it('a symlink created at the final output path after validate is replaced, not followed', async () => {
    const valid = await validateRecipeFile(project.recipe, { rt: testRuntime(project.root) });
    expect(valid.recipe).not.toBeNull();
    await writeFile(join(outside, 'victim'), 'precious\n');
    // The output's name: <out>/<pass>/<source>.<ext>.
    const output = join(project.outDir, 'hat', 'cat.png');
    await mkdir(join(project.outDir, 'hat'), { recursive: true });
    await symlink(join(outside, 'victim'), output);
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('precious\n');
    expect((await lstat(output)).isFile()).toBe(true);
  });
});
