/**
 * `kontext run` node selection through the real CLI (commander parsing included), counted at
 * the emulator: `--only`/`--force`/`--reseed` take node-id patterns (`pass`, `pass@inst-*`,
 * `pass#k`, comma lists, repeated flags) and act only on the nodes they name; `--force
 * recipe.yml` is the recipe; a pattern that matches nothing is exit 64 with a suggestion.
 */
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Project } from '../run-hosting/harness.js';
import { cliRun, INSTANCES, readLockOf, shopProject } from './shop-project.js';

let project: Project;
let cacheDir: string;

beforeEach(async () => {
  ({ project, cacheDir } = await shopProject());
});

afterEach(async () => {
  await project.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const run = (...args: string[]) => cliRun(project, ...args);
const lock = () => readLockOf(project);

const ids = (pass: string, suffix = ''): string[] => INSTANCES.map((i) => `${pass}@${i}${suffix}`);

describe('selection flags on the CLI', () => {
  it('--only X --force pays exactly for X; upstream comes from the cache', async () => {
    expect((await run(project.recipePath)).submits).toBe(12);
    const r = await run('--only', 'lifestyle', '--force', project.recipePath);
    expect(r).toMatchObject({ code: 0, submits: 3 });
    expect(r.started).toEqual(ids('lifestyle'));
    const one = await run(project.recipePath, '--only=lifestyle@product-a', '--force');
    expect(one).toMatchObject({ code: 0, submits: 1, started: ['lifestyle@product-a'] });
  });

  it('--force: repeated, comma lists, instance globs, variants; never the upstream', async () => {
    expect((await run(project.recipePath)).submits).toBe(12);
    const want = ['bag@extra#2', 'bag@product-a#2', 'bag@product-b#2', 'lifestyle@product-a'];
    const repeated = await run(project.recipePath, '--force', 'lifestyle@product-a', '--force', 'bag#2');
    expect(repeated).toMatchObject({ code: 0, submits: 4, started: want });
    expect(await run(project.recipePath, '--force', 'lifestyle@product-a,bag#2')).toMatchObject({
      code: 0,
      started: want,
    });
    expect(await run(project.recipePath, '--force', 'lifestyle@product-*')).toMatchObject({
      code: 0,
      started: ['lifestyle@product-a', 'lifestyle@product-b'],
    });
    expect(await run(project.recipePath, '--force=bag@extra#2')).toMatchObject({ code: 0, started: ['bag@extra#2'] });
    expect(await run(project.recipePath, '--force', '*@extra')).toMatchObject({
      code: 0,
      started: ['bag@extra#1', 'bag@extra#2', 'clean@extra', 'lifestyle@extra'],
    });
  });

  it('--reseed takes the same patterns: new seeds for exactly those nodes', async () => {
    await run(project.recipePath);
    const before = await lock();
    const r = await run(project.recipePath, '--reseed', 'lifestyle@product-a', '--reseed', 'bag#2');
    expect(r).toMatchObject({ code: 0, submits: 4 });
    expect(r.started).toEqual(['bag@extra#2', 'bag@product-a#2', 'bag@product-b#2', 'lifestyle@product-a']);
    const after = await lock();
    const changed = Object.keys(after.nodes)
      .filter((id) => after.nodes[id]?.seed !== before.nodes[id]?.seed)
      .sort();
    expect(changed).toEqual(r.started);
    const comma = await run(project.recipePath, '--reseed', 'lifestyle@product-b,bag@extra#1');
    expect(comma.started).toEqual(['bag@extra#1', 'lifestyle@product-b']);
  });

  it('kontext run --force recipe.yml runs the recipe, forcing every node', async () => {
    await run(project.recipePath);
    const all = await run('--force', project.recipePath);
    expect(all).toMatchObject({ code: 0, submits: 12 });
    const reseed = await run('--only', 'clean@extra', '--reseed', project.recipePath);
    // clean has a recipe seed (which wins over --reseed): it stays cached, and nothing else is touched.
    expect(reseed).toMatchObject({ code: 0, submits: 0 });
  });

  it('a pattern that matches nothing is exit 64 with a suggestion, before any request', async () => {
    const typo = await run(project.recipePath, '--force', 'lifestyel');
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('did you mean "lifestyle"?');
    const variant = await run(project.recipePath, '--only', 'bga#2');
    expect(variant.code).toBe(64);
    expect(variant.stderr).toContain('did you mean "bag#2"?');
    const instance = await run(project.recipePath, '--force', 'lifestyle@prodcut-a');
    expect(instance.code).toBe(64);
    expect(instance.stderr).toContain('did you mean "lifestyle@product-a"?');
    expect((await run(project.recipePath, '--reseed', 'bag#3')).code).toBe(64);
    const missingRecipe = await run('--force', 'nope.yml', project.recipePath);
    expect(missingRecipe.code).toBe(64);
    expect(missingRecipe.stderr).toContain('a recipe path must name an existing file');
    expect(project.submits()).toHaveLength(0);
  });

  it('a second node after one flag (--force a b) is exit 64 before the recipe runs, not a recipe "b"', async () => {
    await run(project.recipePath);
    const before = project.submits().length;
    const two = await run(project.recipePath, '--force', 'lifestyle', 'bag');
    expect(two.code).toBe(64);
    expect(two.stderr).toContain('"bag" names no recipe file, and --force takes one value');
    expect(two.stderr).toContain('--force a --force bag');
    expect(two.started).toEqual([]);
    // An instance name may hold a dot: a pattern with @, # or * is one all the same (review-y).
    for (const stray of ['lifestyle@product.v2', '*@product.v2', 'bag#2'])
      expect((await run(project.recipePath, '--force', 'lifestyle', stray)).code).toBe(64);
    // Which flag it followed is not known: each flag given is named, none is guessed (review-y).
    const both = await run(project.recipePath, '--reseed', 'bag', '--only', 'lifestyle', 'lifestyle@product-a');
    expect(both.stderr).toContain('--only, --reseed take one value');
    expect(both.stderr).not.toContain('--force'); // a free selection never steered to a paid one (review-z 1)
    const onlyTwo = await run(project.recipePath, '--only', 'clean', 'lifestyle', '--dry-run');
    expect(onlyTwo.stderr).toContain('(--only a --only lifestyle)');
    // A path stays a path: a missing one is "recipe not found", exit 66 (review-z 2).
    for (const missing of ['@team/nope.yml', 'r#3.yml'])
      expect((await run(project.recipePath, missing, '--force', 'bag', '--dry-run')).code).toBe(66);
    const only = await run('--only', 'clean', 'lifestyle', project.recipePath, '--dry-run');
    expect(only.code).toBe(64);
    expect(project.submits().length - before).toBe(0);
  });
});
