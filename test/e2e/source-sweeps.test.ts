/**
 * A glob source that sweeps up another recipe's outputs (walk-ag 7): `**\/*.png` in a recipe
 * beside one that has run takes that recipe's PNGs as photos, and each of its runs then changes
 * them. `kontext validate` warns, at the source's line and column, naming the files and the
 * other recipe's lock; a glob whose literal folders lead into those outputs chains on purpose and
 * is not warned about (src/run/output-clashes.ts). `kontext run` warns alike before its first request.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { createProject, recipeYaml, type Project } from '../helpers/run-fixtures.js';

beforeAll(ensureBuilt, 180_000);

let project: Project | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

const globRecipe = (name: string, glob: string): string =>
  `version: 1\nname: ${name}\nprovider: emulator\nsources:\n  shots: "${glob}"\npasses:\n` +
  '  - id: warm\n    prompt: "Keep everything unchanged. Make the light warmer."\n';

describe("a glob source matching another recipe's outputs", () => {
  it('validate and run warn at the source of a wildcard sweep, not of a glob naming the folder', async () => {
    const p = (project = await createProject(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']])));
    const env = cliEnv(p.root);
    // A shoot in its own folder, run: its outputs are shoot/out/a/sky/photo.png, its lock shoot/a.lock.json.
    await mkdir(join(p.root, 'shoot'));
    const shoot = recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.']])
      .replace('name: test', 'name: a')
      .replace('assets/', '../assets/');
    await writeFile(join(p.root, 'shoot', 'a.yml'), shoot);
    expect((await cli(['run', 'shoot/a.yml'], { cwd: p.root, env })).code).toBe(0);
    await writeFile(join(p.root, 'sweep.yml'), globRecipe('sweep', '**/*.png'));
    await writeFile(join(p.root, 'chain.yml'), globRecipe('chain', 'shoot/out/a/sky/*.png'));
    await mkdir(join(p.root, 'photos'));
    await writeFile(join(p.root, 'photos', 'only.yml'), globRecipe('only', '**/*.png'));
    await copyFile(join(p.root, 'shoot', 'out', 'a', 'sky', 'photo.png'), join(p.root, 'photos', 'p.png'));

    const r = await cli(['validate', 'sweep.yml', 'chain.yml', 'photos/only.yml'], { cwd: p.root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'sweep.yml: ok (2 nodes, 1 warning)',
      'chain.yml: ok (1 node)',
      'photos/only.yml: ok (1 node)',
      '',
    ]);
    expect(r.stderr.split('\n').filter((l) => l.includes('warning: sources.'))).toEqual([
      'sweep.yml:5:10: warning: sources.shots: "**/*.png" matches shoot/out/a/sky/photo.png, an output of the ' +
        'recipe of shoot/a.lock.json: each run of that recipe changes them, and this recipe then pays again for ' +
        'each one changed (narrow the glob to the photos it means; to chain on those outputs on purpose, start it in ' +
        'their folder: shoot/out/a/sky/*.png) [source-is-output]',
    ]);

    // A run warns too, before its first request; the chain on purpose does not.
    const run = await cli(['run', 'sweep.yml', 'chain.yml'], { cwd: p.root, env });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n');
    const warned = lines.filter((l) => l.includes('[source-is-output]'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(
      /^warning +sweep\.yml:5:10: sources\.shots: "\*\*\/\*\.png" matches shoot\/out\/a\/sky\/photo\.png/,
    );
    const firstStart = lines.findIndex((l) => /^start\s/.test(l));
    expect(firstStart).toBeGreaterThan(lines.indexOf(warned[0] ?? ''));
    expect(lines.indexOf(warned[0] ?? '')).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
