/**
 * Hostile `out:` / `save:` in a shared recipe, on a real disk with real symlinks: refused when
 * the recipe is validated, at the field's line:col, before anything runs.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { validateRecipeFile } from '../../../src/recipe/index.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { ASSETS } from '../../helpers/run-fixtures.js';

let root = '';
let home = '';
let rt: Runtime;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-wt-'));
  home = await mkdtemp(path.join(os.tmpdir(), 'kontext-someone-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, '.git', 'config'), '[core]\n');
  await mkdir(path.join(root, 'shots'));
  await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'shots', 'cat.jpg'));
  await copyFile(path.join(ASSETS, 'product-coffee.jpg'), path.join(root, 'shots', 'coffee.jpg'));
  await writeFile(path.join(home, '.bashrc'), 'precious\n');
  await symlink(home, path.join(root, 'homelink'));
  rt = createRuntime({ cwd: root, env: { HOME: root } });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

/** The errors of `save: <save>`; `saveInSources: 'error'` is what `kontext validate` passes. */
async function problemsFor(save: string, saveInSources: 'error' | 'warning' = 'warning'): Promise<string[]> {
  await writeFile(
    path.join(root, 'r.yml'),
    `version: 1\nsources:\n  shots: shots/*.jpg\npasses:\n  - id: hat\n` +
      `    prompt: Keep it unchanged. Add a hat.\n    save: ${save}\n`,
  );
  const result = await validateRecipeFile('r.yml', { rt, saveInSources });
  return result.problems.filter((p) => p.severity === 'error').map(formatProblem);
}

describe('write targets at validate time', () => {
  it('`save: homelink/.bashrc` with homelink → a home folder is outside the root', async () => {
    const line = (await problemsFor('homelink/.bashrc')).find((l) => l.includes('outside'));
    expect(line).toMatch(
      /^r\.yml:7:11: passes\[0\]\.save: save path "homelink\/\.bashrc" leads to .*\/\.bashrc: outside the project root/,
    );
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).toBe('precious\n');
  });

  // The second of each pair names the file in another case: distinct on this disk, the very file
  // on a teammate's Mac or Windows machine (and on exFAT), where a clone of the recipe runs too.
  it.each([
    ['.git/config', 'a .git folder'],
    ['.GIT/config', 'a .git folder'],
    ['r.yml', 'the recipe itself'],
    ['R.yml', 'the recipe itself'],
    ['r.lock.json', 'lock file'],
    ['R.Lock.JSON', 'lock file'],
    ['Shots/Cat.jpg', 'the source "shots"'],
    ['SHOTS/{source}.{ext}', 'the source "shots"'],
    ['.kontext/x.png', 'the old per-project cache folder'],
    ['.Kontext/x.png', 'the old per-project cache folder'],
  ])('`save: %s` is refused with line:col (%s)', async (save, what) => {
    const line = (await problemsFor(save)).find((l) => l.includes('would write into'));
    expect(line).toMatch(/^r\.yml:7:11: passes\[0\]\.save: save path ".*" would write into /);
    expect(line).toContain(what);
  });

  // A save: target is never a source (the glob leaves it out), so it is not "the source" that
  // would be overwritten: the overlap itself is the problem, an error for `kontext validate`
  // (save-in-sources) with the line:col of the save: and of the glob. The originals stay as they are.
  it.each([['shots/{source}.{ext}'], ['homelink/../shots/cat.jpg']])(
    '`save: %s` is refused with line:col (matched by the source glob "shots")',
    async (save) => {
      const problems = await problemsFor(save, 'error');
      const line = problems.find((l) => l.includes('matched by the source glob'));
      expect(line).toMatch(/^r\.yml:7:11: passes\[0\]\.save: save path ".*" is matched by the source glob /);
      expect(line).toContain('"shots/*.jpg" (r.yml:3:10)');
      expect(await readFile(path.join(root, 'shots', 'cat.jpg'))).toEqual(
        await readFile(path.join(ASSETS, 'pet-chelsea.jpg')),
      );
    },
  );

  it('`save: shots/{source}.{ext}` leaves the glob nothing: refused for a run too, saying why', async () => {
    const problems = await problemsFor('shots/{source}.{ext}');
    expect(problems).toEqual([
      expect.stringMatching(
        /^r\.yml:3:10: sources\.shots: every file "shots\/\*\.jpg" matches is one a save: path writes \(2 left out\)/,
      ),
    ]);
  });

  it("no out: and `out` a dangling link to its author's folder: the default output folder is refused", async () => {
    await symlink(path.join(home, 'gone', 'out'), path.join(root, 'out'));
    await writeFile(
      path.join(root, 'r.yml'),
      'version: 1\nsources:\n  shots: shots/*.jpg\npasses:\n  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    const result = await validateRecipeFile('r.yml', { rt });
    expect(result.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([
      expect.stringMatching(
        /^r\.yml:1:1: out: output folder "out\/r" leads to .*\/gone\/out\/r: outside the project root /,
      ),
    ]);
  });

  it('--allow-outside-root lets homelink through, but never .git', async () => {
    await writeFile(
      path.join(root, 'r.yml'),
      'version: 1\nsources:\n  shots: shots/*.jpg\npasses:\n  - id: hat\n' +
        '    prompt: Keep it unchanged. Add a hat.\n' +
        '    save: homelink/{source}.{ext}\n',
    );
    expect((await validateRecipeFile('r.yml', { rt, allowOutsideRoot: true })).recipe).not.toBeNull();
    await writeFile(
      path.join(root, 'r.yml'),
      'version: 1\nout: .git/hooks\nsources:\n  a: shots/cat.jpg\npasses:\n' +
        '  - id: hat\n    prompt: Keep it unchanged. Add a hat.\n',
    );
    const result = await validateRecipeFile('r.yml', { rt, allowOutsideRoot: true });
    expect(result.problems.map(formatProblem)[0]).toMatch(
      /^r\.yml:2:6: out: output folder "\.git\/hooks" would write into a \.git folder/,
    );
    await writeFile(
      path.join(root, 'r.yml'),
      (await readFile(path.join(root, 'r.yml'), 'utf8')).replace('.git', '.Git'),
    );
    expect((await validateRecipeFile('r.yml', { rt, allowOutsideRoot: true })).problems.map(formatProblem)[0]).toMatch(
      /^r\.yml:2:6: out: output folder "\.Git\/hooks" would write into a \.git folder/,
    );
  });

  it('an out: folder holding a source in another case (`out: Shots`) is refused', async () => {
    await writeFile(
      path.join(root, 'r.yml'),
      'version: 1\nout: Shots\nsources:\n  shots: shots/*.jpg\npasses:\n  - id: hat\n    prompt: Keep it. Add a hat.\n',
    );
    const result = await validateRecipeFile('r.yml', { rt });
    expect(result.problems.map(formatProblem)).toContainEqual(
      expect.stringMatching(
        /^r\.yml:2:6: out: output folder "Shots" would write into a folder holding the source "shots"/,
      ),
    );
  });

  it('an escape sequence in out: or save: is refused at the character, even with --allow-outside-root', async () => {
    // "\u001b]0;pwned\u0007" would retitle the terminal wherever the path is printed.
    await writeFile(
      path.join(root, 'r.yml'),
      'version: 1\nout: "out/\\e]0;pwned\\a"\nsources:\n  shots: shots/*.jpg\npasses:\n  - id: hat\n' +
        '    prompt: Keep it unchanged. Add a hat.\n    save: "final/{source}\\x9b2J.{ext}"\n',
    );
    for (const allowOutsideRoot of [false, true]) {
      const result = await validateRecipeFile('r.yml', { rt, allowOutsideRoot });
      expect(result.recipe).toBeNull();
      const lines = result.problems.map(formatProblem);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^r\.yml:2:11: out: output folder holds U\+001B \(a control character\), which a terminal would act/,
        ),
      );
      expect(lines).toContainEqual(
        expect.stringMatching(/^r\.yml:8:26: passes\[0\]\.save: save path holds U\+009B \(a control character\)/),
      );
      // The message names the character, never prints it.
      for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/u);
    }
  });
});
