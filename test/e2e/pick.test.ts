/**
 * Picking a variant (issue 14), end to end: the BUILT CLI against a standalone emulator whose
 * request log counts every paid submit. Picking never pays again: the other variants stay
 * cached, and switching the pick back and forth costs nothing once each branch has run.
 */
import { chmod, cp, mkdir, readFile, rm, stat, symlink, writeFile, lstat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRuntime, writePick } from '../../src/index.js';
import { cli } from '../helpers/cli-spawn.js';
import { ASSETS } from '../helpers/run-fixtures.js';
import {
  paid as paidOn,
  project as projectWith,
  runcomfyEnv,
  submits,
  tempDir,
  useEmulator,
} from '../helpers/e2e-kit.js';

const emulator = useEmulator();
const envFor = (home: string, extra: Record<string, string> = {}): Record<string, string> =>
  runcomfyEnv(emulator(), home, extra);

const RECIPE = `version: 1
name: bags   # the catalog
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  # three bags to choose from
  - id: bag
    prompt: "Put a leather bag on the table"
    variants: 3    # compare in the report
  - id: shade
    prompt: "Add a soft shadow"
`;

const project = (yaml = RECIPE): Promise<string> => projectWith(yaml);

const paid = (args: readonly string[], cwd: string, env: Record<string, string>): Promise<number> =>
  paidOn(emulator(), args, cwd, env);

const recipeText = (root: string): Promise<string> => readFile(join(root, 'recipe.yml'), 'utf8');

describe('kontext pick (built CLI, counted at the emulator)', () => {
  it('variants first, then pick 2, 1, 2, 1: each branch is paid once, switching back costs nothing', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml', '--only', 'bag'], root, env)).toBe(3);

    const r = await cli(['pick', 'recipe.yml', 'bag#2'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('bag now has pick: 2');
    expect(await recipeText(root)).toBe(
      RECIPE.replace(
        'variants: 3    # compare in the report\n',
        'variants: 3    # compare in the report\n    pick: 2\n',
      ),
    );
    // Only shade#2 is new: the bag variants are cached.
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(1);
    expect(await paid(['pick', 'recipe.yml', 'bag#1'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(1);
    expect(await paid(['pick', 'recipe.yml', 'bag#2'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    expect(await paid(['pick', 'recipe.yml', 'bag#1'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    // Both branches keep their own output files.
    for (const f of ['shade/photo-v1.png', 'shade/photo-v2.png', 'bag/photo-v3.png'])
      expect((await lstat(join(root, 'out', 'bags', f))).isFile()).toBe(true);
    // clean keeps the branch that is not picked now, so picking it again stays free.
    const clean = await cli(['clean', 'recipe.yml'], { cwd: root, env });
    expect(clean.stdout).toContain('clean: nothing to remove');
    const status = await cli(['status', 'recipe.yml', '--json', '--exit-code'], { cwd: root, env });
    expect(status.code, status.stdout).toBe(0);
    expect((JSON.parse(status.stdout) as { orphaned: unknown[] }).orphaned).toEqual([]);
    expect(await paid(['pick', 'recipe.yml', 'bag#2'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
  }, 120_000);

  it('a first run without a pick fans out over every variant; picking after it costs nothing', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(6);
    expect(await paid(['pick', 'recipe.yml', 'bag#3'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    const plan = await cli(['plan', 'recipe.yml'], { cwd: root, env });
    expect(plan.stdout).toContain('bag #1..#3 (pick #3)');
    expect(plan.stdout).toContain('shade #3');
    expect(plan.stdout).toContain('4 nodes');
  }, 120_000);

  it('pick --clear un-picks: the file is byte for byte as before the pick, every branch back for free', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(6);
    const before = await recipeText(root);
    expect(await paid(['pick', 'recipe.yml', 'bag#2'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    const cleared = await cli(['pick', 'recipe.yml', 'bag@photo#2', '--clear'], { cwd: root, env });
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stdout).toBe(
      'recipe.yml: bag no longer has pick: (was 2); the passes after it take every variant\n',
    );
    expect(await recipeText(root)).toBe(before); // comments and layout kept
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    expect((await cli(['plan', 'recipe.yml'], { cwd: root, env })).stdout).toContain('6 nodes');
    const again = await cli(['pick', 'recipe.yml', 'bag', '--clear', '--json'], { cwd: root, env });
    expect(JSON.parse(again.stdout)).toMatchObject({ pass: 'bag', variant: null, previous: null, changed: false });
    const typo = await cli(['pick', 'recipe.yml', 'bga', '--clear'], { cwd: root, env });
    expect([typo.code, typo.stderr]).toEqual([
      64,
      'kontext: pick --clear: "bga": no such pass (did you mean "bag"?)\n',
    ]);
  }, 120_000);

  it('pick --clear removes a pick validation refuses (variants lowered below it); other problems refuse', async () => {
    const fewer = RECIPE.replace('variants: 3    # compare in the report', 'variants: 2    # fewer now');
    const picked = fewer.replace('# fewer now\n', '# fewer now\n    pick: 3    # the one I liked\n');
    const root = await project(picked);
    const env = envFor(await tempDir('home'));
    const validate = () => cli(['validate', 'recipe.yml'], { cwd: root, env });
    expect((await validate()).stderr).toContain('pick: 3, but "bag" has 2 variants');

    // Another problem beside it: refused as validation refuses it, nothing written.
    const typo = picked.replace('prompt: "Add a soft shadow"', 'promt: "Add a soft shadow"');
    await writeFile(join(root, 'recipe.yml'), typo);
    const refused = await cli(['pick', 'recipe.yml', 'bag', '--clear'], { cwd: root, env });
    expect(refused.code).toBe(65);
    expect(refused.stderr).toBe((await validate()).stderr);
    expect(refused.stderr).toContain('unknown key "promt"');
    expect(await recipeText(root)).toBe(typo);

    // A pick on a pass with no variants left (variants: removed), or above them: --clear fixes it.
    const none = picked.replace('    variants: 2    # fewer now\n', '');
    for (const text of [picked, none]) {
      await writeFile(join(root, 'recipe.yml'), text);
      const cleared = await cli(['pick', 'recipe.yml', 'bag#3', '--clear'], { cwd: root, env });
      expect(cleared.code, cleared.stderr).toBe(0);
      expect(cleared.stdout).toBe(
        'recipe.yml: bag no longer has pick: (was 3); the passes after it take every variant\n',
      );
      const without = text === none ? RECIPE.replace('    variants: 3    # compare in the report\n', '') : fewer;
      expect(await recipeText(root)).toBe(without); // comments and layout kept
      expect((await validate()).code).toBe(0);
    }
  }, 60_000);

  it('--reseed bag refuses to re-draw the picked variant; --reseed bag#3 re-draws only that one', async () => {
    const root = await project(RECIPE.replace('variants: 3 ', 'variants: 3\n    pick: 2\n'));
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(4);
    const before = submits(emulator());
    const refused = await cli(['run', 'recipe.yml', '--reseed', 'bag'], { cwd: root, env });
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('re-draw bag#2, the variant its pass picked');
    expect(refused.stderr).toContain('--reseed bag#1,bag#3');
    expect(submits(emulator())).toBe(before);
    expect((await cli(['run', 'recipe.yml', '--reseed'], { cwd: root, env })).code).toBe(64);
    expect(await paid(['run', 'recipe.yml', '--reseed', 'bag#3'], root, env)).toBe(1);
    // Named explicitly, the picked one may be re-drawn: it and what reads it run again.
    expect(await paid(['run', 'recipe.yml', '--reseed', 'bag#2'], root, env)).toBe(2);
  }, 120_000);

  it('refuses an unknown node (did-you-mean), a pass without variants, an invalid or read-only recipe', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    const cases: [string, RegExp][] = [
      ['bag#4', /names no variant of "bag".*bag#1 \.\. bag#3/s],
      ['bga#2', /no such pass.*did you mean "bag#2"/s],
      ['shade#2', /"shade" has no variants of its own.*come from "bag": pick there, e.g. bag#2/s],
      ['bag', /names no variant/],
      // One file: no instances to name, so the suggestion is the node without one (never `did you mean ""`).
      ['bag@nope#2', /"bag@nope#2": pass "bag" reads one file, so it has no instances.*did you mean "bag#2"\?/s],
      ['bag@x#1', /did you mean "bag#1"\?/],
    ];
    for (const [node, message] of cases) {
      const r = await cli(['pick', 'recipe.yml', node], { cwd: root, env });
      expect(r.code, node).toBe(64);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('did you mean ""');
    }
    expect(await recipeText(root)).toBe(RECIPE);
    const missing = await cli(['pick', 'nope.yml', 'bag#2'], { cwd: root, env });
    expect(missing.code).toBe(66);
    // A folder or a named pipe as the recipe: 66, as for every other command (not 65).
    await mkdir(join(root, 'folder.yml'));
    execFileSync('mkfifo', [join(root, 'fifo.yml')]);
    for (const recipe of ['folder.yml', 'fifo.yml']) {
      const notFile = await cli(['pick', recipe, 'bag#2'], { cwd: root, env });
      expect([notFile.code, notFile.stderr.trim()]).toEqual([
        66,
        `kontext: ${recipe}: not a file (pass the path of a .yml recipe)`,
      ]);
    }
    // An invalid recipe is refused as validate refuses it, and not touched.
    const broken = RECIPE.replace('prompt: "Add a soft shadow"', 'prompt: "Add a soft shadow"\n    seed: -1');
    await writeFile(join(root, 'recipe.yml'), broken);
    const invalid = await cli(['pick', 'recipe.yml', 'bag#2'], { cwd: root, env });
    expect(invalid.code).toBe(65);
    expect(invalid.stderr).toMatch(/recipe\.yml:14:11/);
    expect(await recipeText(root)).toBe(broken);
    // A recipe made read-only is not replaced behind the user's back (the rename would, even as root).
    await writeFile(join(root, 'recipe.yml'), RECIPE);
    await chmod(join(root, 'recipe.yml'), 0o444);
    const readOnly = await cli(['pick', 'recipe.yml', 'bag#2'], { cwd: root, env });
    expect(readOnly.code).toBe(73);
    expect(readOnly.stderr).toMatch(/recipe\.yml is read-only; nothing written/);
    expect(await recipeText(root)).toBe(RECIPE);
    expect((await stat(join(root, 'recipe.yml'))).mode & 0o777).toBe(0o444);
  }, 120_000);

  it('validate: from: bag#4 and pick: 5 are exit 65 with file:line:col and a suggestion', async () => {
    const bad = RECIPE.replace('variants: 3 ', 'variants: 3\n    pick: 5\n').replace(
      '  - id: shade\n',
      '  - id: shade\n    from: bag#4\n',
    );
    const root = await project(bad);
    const r = await cli(['validate', 'recipe.yml'], { cwd: root, env: envFor(await tempDir('home')) });
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /recipe\.yml:12:11: passes\[0\]\.pick: pick: 5, but "bag" has 3 variants \(did you mean pick: 3\?/,
    );
    expect(r.stderr).toMatch(/recipe\.yml:15:11: passes\[1\]\.from: "bag#4": .*did you mean "bag#3"\?/);
  }, 60_000);

  it('on a glob instance the pick is per pass, and the message says so', async () => {
    const yaml = RECIPE.replace('photo: assets/portrait-astronaut.jpg', 'photo: "shots/*.jpg"');
    const root = await project(yaml);
    await mkdir(join(root, 'shots'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'shots', 'product-1.jpg'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'shots', 'product-2.jpg'));
    const env = envFor(await tempDir('home'));
    const r = await cli(['pick', 'recipe.yml', 'bag@product-1#2', '--json'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pass: 'bag', variant: 2, instance: 'product-1', changed: true });
    const text = await cli(['pick', 'recipe.yml', 'bag@product-2#3'], { cwd: root, env });
    expect(text.stdout).toContain('pick is per pass, so variant 3 is picked on every instance, not only product-2');
    const plan = await cli(['plan', 'recipe.yml', '--json'], { cwd: root, env });
    const ids = (JSON.parse(plan.stdout) as { nodes: { id: string }[] }).nodes.map((n) => n.id);
    expect(ids.filter((id) => id.startsWith('shade'))).toEqual(['shade@product-1#3', 'shade@product-2#3']);
  }, 60_000);

  it('two picks at once both land; a symlinked recipe is written through the link', async () => {
    const yaml = `${RECIPE}  - id: hat\n    from: photo\n    prompt: "Add a hat"\n    variants: 2\n`;
    const root = await project(yaml);
    await rm(join(root, 'recipe.yml'));
    await mkdir(join(root, 'real'));
    // Relative paths resolve beside the link, as `kontext run recipe.yml` resolves them.
    await writeFile(join(root, 'real', 'recipe.yml'), yaml);
    await symlink(join('real', 'recipe.yml'), join(root, 'recipe.yml'));
    const env = envFor(await tempDir('home'));
    const [a, b] = await Promise.all([
      cli(['pick', 'recipe.yml', 'bag#3'], { cwd: root, env }),
      cli(['pick', 'recipe.yml', 'hat#1'], { cwd: root, env }),
    ]);
    expect([a.code, b.code], `${a.stderr}${b.stderr}`).toEqual([0, 0]);
    const text = await readFile(join(root, 'real', 'recipe.yml'), 'utf8');
    expect(text).toContain('    variants: 3    # compare in the report\n    pick: 3\n');
    expect(text).toContain('    variants: 2\n    pick: 1\n');
    expect((await lstat(join(root, 'recipe.yml'))).isSymbolicLink()).toBe(true);
  }, 60_000);

  it('writePick refuses when the recipe is no longer what the caller saw (exit 75, nothing written)', async () => {
    const root = await project();
    const rt = createRuntime({ cwd: root });
    const err = await writePick('recipe.yml', 'bag#2', { rt, expectSha256: '0'.repeat(64) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_RECIPE_CHANGED', exitCode: 75 });
    expect(await recipeText(root)).toBe(RECIPE);
    const done = await writePick('recipe.yml', 'bag#2', { rt });
    expect(done).toMatchObject({ pass: 'bag', variant: 2, previous: null, changed: true, method: 'surgical' });
    const again = await writePick('recipe.yml', 'bag#2', { rt, expectSha256: done.sha256 });
    expect(again).toMatchObject({ changed: false, method: 'unchanged', sha256: done.sha256 });
  });
});
