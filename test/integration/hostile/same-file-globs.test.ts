/**
 * One real file that a glob reaches by several paths (a symlinked folder, a link loop, a symlinked
 * file beside its target) is one instance, named by its first path in the glob's order, with a
 * warning naming the folded paths: before, each path was an instance, and with unpinned seeds a
 * paid request each for the same image. Instance names do not shift when a duplicate appears.
 */
import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/errors.js';
import { validateRecipeFile } from '../../../src/recipe/load.js';
import {
  createProject,
  eventsOf,
  runIn,
  startRig,
  summaryOf,
  testRuntime,
  type Project,
  type Rig,
} from '../../helpers/run-fixtures.js';

const recipe = (sources: string): string =>
  `version: 1\nname: test\nprovider: emulator\nsources:\n${sources}passes:\n` +
  '  - id: tint\n    prompt: "Tint the whole image blue"\n';

let project: Project;
let rig: Rig;
beforeEach(async () => {
  project = await createProject('version: 1\n');
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
});

/** Copy an example image to each of `files` (relative to the project). */
async function images(...files: string[]): Promise<void> {
  const images = ['portrait-astronaut.jpg', 'pet-chelsea.jpg', 'landscape-coffee.jpg'];
  for (const [i, f] of files.entries()) {
    await mkdir(join(project.root, f, '..'), { recursive: true });
    await copyFile(join(project.root, 'assets', images[i % images.length] ?? ''), join(project.root, f));
  }
}

async function validate(): Promise<{ instances: (string | null)[]; warnings: string[] }> {
  const r = await validateRecipeFile('recipe.yml', { rt: testRuntime(project.root) });
  expect(r.recipe, r.problems.map(formatProblem).join('\n')).not.toBeNull();
  return {
    instances: r.recipe?.sources.flatMap((s) => s.instances.map((i) => i.instance)) ?? [],
    warnings: r.problems.filter((p) => p.severity === 'warning').map(formatProblem),
  };
}

describe('a glob reaching one file by several paths', () => {
  it('a symlinked folder (latest -> 2024-12): one instance, one request per file, a warning first', async () => {
    await images('shots/2024-12/a.jpg', 'shots/2024-12/b.jpg');
    await symlink('2024-12', join(project.root, 'shots', 'latest'));
    await project.writeRecipe(recipe('  shots: shots/*/*.jpg\n'));
    const v = await validate();
    expect(v.instances).toEqual(['a', 'b']);
    expect(v.warnings).toHaveLength(1);
    expect(v.warnings[0]).toMatch(
      /^recipe\.yml:5:10: warning: sources\.shots: glob "shots\/\*\/\*\.jpg" reaches 2 files by more than one path/,
    );
    expect(v.warnings[0]).toContain(
      'each runs once, as its first path: "shots/latest/a.jpg" is "shots/2024-12/a.jpg"; ' +
        '"shots/latest/b.jpg" is "shots/2024-12/b.jpg" (a symlinked folder',
    );
    const run = await runIn(project, {}, { rig });
    expect(summaryOf(run).failed).toBe(0);
    expect(rig.submits()).toHaveLength(2);
    const first = run.events.findIndex((e) => e.type === 'node-start');
    const warned = run.events.findIndex((e) => e.type === 'warning' && e.message.includes('glob-same-file'));
    expect(warned).toBeGreaterThanOrEqual(0);
    expect(warned).toBeLessThan(first);
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(['tint@a', 'tint@b']);
  });

  it('a link loop (shots/again -> .) and a symlinked file beside its target: one instance each', async () => {
    await images('shots/x.jpg', 'shots/y.jpg');
    await symlink('.', join(project.root, 'shots', 'again'));
    await symlink('y.jpg', join(project.root, 'shots', 'z.jpg'));
    await project.writeRecipe(recipe('  shots: "shots/{*,*/*,*/*/*}.jpg"\n'));
    const v = await validate();
    expect(v.instances).toEqual(['x', 'y']);
    expect(v.warnings).toHaveLength(1);
    // A wildcard does not follow `again` back onto its own route (glob.ts): only the linked file is
    // a second path, and the first in sorted order is the instance.
    expect(v.warnings[0]).toContain('"shots/z.jpg" is "shots/y.jpg"');
    expect(v.warnings[0]).not.toContain('again');
  });

  it('two sources naming one file stay two (that is explicit)', async () => {
    await images('shots/a.jpg');
    const text =
      'version: 1\nname: test\nprovider: emulator\nsources:\n  one: shots/a.jpg\n  all: shots/*.jpg\npasses:\n' +
      '  - id: tint\n    from: one\n    prompt: "Tint it blue"\n  - id: tone\n    from: all\n    prompt: "Tone it"\n';
    await project.writeRecipe(text);
    const v = await validate();
    expect(v.instances).toEqual([null, 'a']);
    expect(v.warnings).toEqual([]);
  });

  it('a duplicate appearing renames nothing: the next run is all cached, the lock keeps its node ids', async () => {
    await images('shots/x/shoe.jpg', 'shots/y/shoe.jpg');
    await project.writeRecipe(recipe('  shots: shots/*/shoe.jpg\n'));
    const first = await runIn(project, {}, { rig });
    expect(summaryOf(first).failed).toBe(0);
    const before = Object.keys((await project.readLock()).nodes).sort();
    expect(before).toEqual(['tint@shoe', 'tint@shoe-2']);
    // `latest/shoe.jpg` sorts first: it names x's instance, and y's stays `shoe-2` (not `shoe-3`).
    await symlink('x', join(project.root, 'shots', 'latest'));
    expect((await validate()).instances).toEqual(['shoe', 'shoe-2']);
    const again = await runIn(project, {}, { rig });
    expect(summaryOf(again).failed).toBe(0);
    expect(eventsOf(again.events, 'node-start')).toEqual([]);
    expect(rig.submits()).toHaveLength(2);
    expect(Object.keys((await project.readLock()).nodes).sort()).toEqual(before);
  });

  it('a new link sorting first renames its instance: the node keeps its seed by content, nothing is paid', async () => {
    await images('shots/a.jpg');
    await project.writeRecipe(recipe('  shots: shots/*.jpg\n'));
    expect(summaryOf(await runIn(project, {}, { rig })).failed).toBe(0);
    expect(rig.submits()).toHaveLength(1);
    const old = (await project.readLock()).nodes['tint@a'];
    // `0.jpg` sorts before `a.jpg`: the one file's instance is now `0`, its node `tint@0`.
    await symlink('a.jpg', join(project.root, 'shots', '0.jpg'));
    expect((await validate()).instances).toEqual(['0']);
    // Another run's draws (seed 2): only the lock's entry for the same content can give the same seed.
    const again = await runIn(project, {}, { rig, seed: 2 });
    expect(summaryOf(again).failed).toBe(0);
    expect(rig.submits()).toHaveLength(1);
    const renamed = (await project.readLock()).nodes['tint@0'];
    expect(renamed?.seed).toBe(old?.seed);
    expect(renamed?.output_sha256).toBe(old?.output_sha256);
  });
});
