/**
 * Never pay twice (issue 12), end to end: the BUILT CLI against a standalone emulator whose
 * request log (`GET /__emulator/requests`) counts every paid submit. The lock and the output
 * files are the truth: a deleted cache, a teammate's clone, another working directory, a
 * renamed pass or image, an old project `.kontext/` and old output names all cost nothing;
 * a glob never feeds the recipe its own `save:` outputs.
 */
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { ASSETS, sha256File } from '../helpers/run-fixtures.js';
import {
  files,
  paid as paidOn,
  project as projectWith,
  runcomfyEnv,
  tempDir,
  useEmulator,
} from '../helpers/e2e-kit.js';

const emulator = useEmulator();
const envFor = (home: string, extra: Record<string, string> = {}): Record<string, string> =>
  runcomfyEnv(emulator(), home, extra);

const paid = (args: readonly string[], cwd: string, env: Record<string, string>): Promise<number> =>
  paidOn(emulator(), args, cwd, env);

const CHAIN = `version: 1
name: chain
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    prompt: "Tint the whole image blue"
`;

const project = (yaml = CHAIN): Promise<string> => projectWith(yaml);

interface Lock {
  nodes: Record<string, { output: string; output_sha256: string; seed: number; key: string }>;
}
const readLock = async (root: string): Promise<Lock> =>
  JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as Lock;

describe('never pay twice (built CLI, counted at the emulator)', () => {
  it('outputs use URL-safe names; deleting the cache costs nothing; outputs are adopted back', async () => {
    const root = await project();
    const home = await tempDir('home');
    const env = envFor(home);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    expect(await files(join(root, 'out'))).toEqual(['chain/crop/photo.png', 'chain/tint/photo.png']);
    const lock = await readLock(root);
    expect(lock.nodes['crop']?.output).toBe('out/chain/crop/photo.png');
    expect(await stat(join(home, '.cache', 'kontext', 'blobs'))).toBeTruthy();
    expect(await stat(join(root, '.kontext')).catch(() => null)).toBeNull();

    await rm(join(home, '.cache', 'kontext'), { recursive: true });
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    // The outputs were adopted: deleting them now restores them from the cache, still for free.
    await rm(join(root, 'out'), { recursive: true });
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    expect(await sha256File(join(root, 'out/chain/tint/photo.png'))).toBe(lock.nodes['tint']?.output_sha256);
    expect(await readLock(root)).toEqual(lock);
  });

  it('a teammate clone (recipe + lock + outputs, fresh empty cache) and a moved folder cost nothing', async () => {
    const root = await project();
    expect(await paid(['run', 'recipe.yml'], root, envFor(await tempDir('home')))).toBe(2);
    const clone = join(await tempDir('clone'), 'moved-here');
    await cp(root, clone, { recursive: true });
    await rm(root, { recursive: true });
    expect(await paid(['run', 'recipe.yml'], clone, envFor(await tempDir('teammate')))).toBe(0);
  });

  it('one cache per user: another working directory outside git finds it (KONTEXT_CACHE_DIR too)', async () => {
    const parent = await tempDir('nogit');
    const root = join(parent, 'proj');
    await cp(await project(), root, { recursive: true });
    await rm(join(root, '.git'), { recursive: true });
    const home = await tempDir('home');
    expect(await paid(['run', 'recipe.yml'], root, envFor(home))).toBe(2);
    await rm(join(root, 'out'), { recursive: true });
    expect(await paid(['run', 'proj/recipe.yml'], parent, envFor(home))).toBe(0);
    expect(await files(join(root, 'out'))).toEqual(['chain/crop/photo.png', 'chain/tint/photo.png']);
    // An explicit KONTEXT_CACHE_DIR is just another store: empty here, so the lock+files are adopted into it.
    const other = join(await tempDir('explicit'), 'store');
    expect(await paid(['run', 'proj/recipe.yml'], parent, envFor(home, { KONTEXT_CACHE_DIR: other }))).toBe(0);
    expect((await files(join(other, 'records'))).length).toBe(2);
  });

  it('a glob never feeds back its own save: outputs (2, 0, 0 submits); validate refuses the overlap', async () => {
    const yaml = `version: 1
name: feedback
provider: runcomfy
hosting: { mode: inline }
sources:
  photos: "photos/**/*.{jpg,png}"
passes:
  - id: crop
    prompt: "Crop the photo to a square"
    save: photos/final/{source}.{ext}
`;
    const root = await project(yaml);
    await mkdir(join(root, 'photos'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'photos', 'a.jpg'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'photos', 'b.jpg'));
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    expect(await files(join(root, 'photos', 'final'))).toEqual(['a.png', 'b.png']);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    expect(Object.keys((await readLock(root)).nodes).sort()).toEqual(['crop@a', 'crop@b']);

    const v = await cli(['validate', 'recipe.yml'], { cwd: root, env });
    expect(v.code).toBe(65);
    expect(v.stderr).toMatch(/recipe\.yml:10:11: .*save path "photos\/final\/\{source\}\.\{ext\}" is matched by/);
    expect(v.stderr).toContain('recipe.yml:6:11');
  });

  it('renaming a pass or an image file is free: seeds follow content', async () => {
    const yaml = `version: 1
name: ren
provider: runcomfy
hosting: { mode: inline }
sources:
  photos: "photos/*.jpg"
passes:
  - id: crop
    prompt: "Crop the photo to a square"
  - id: tint
    prompt: "Tint the whole image blue"
`;
    const root = await project(yaml);
    await mkdir(join(root, 'photos'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'photos', 'a.jpg'));
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    const before = await readLock(root);

    await writeFile(join(root, 'recipe.yml'), yaml.replace('id: crop', 'id: square'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    const renamed = await readLock(root);
    expect(renamed.nodes['square@a']?.seed).toBe(before.nodes['crop@a']?.seed);
    expect(renamed.nodes['tint@a']?.key).toBe(before.nodes['tint@a']?.key);

    await rename(join(root, 'photos', 'a.jpg'), join(root, 'photos', 'portrait.jpg'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
    const moved = await readLock(root);
    expect(moved.nodes['tint@portrait']?.key).toBe(before.nodes['tint@a']?.key);

    // Renamed with an empty cache too (another user): the orphan entries' files are adopted.
    await writeFile(join(root, 'recipe.yml'), yaml.replace('id: tint', 'id: blue'));
    const home2 = await tempDir('home2');
    expect(await paid(['run', 'recipe.yml'], root, envFor(home2))).toBe(0);
  });

  it("renaming the recipe file is free: its old lock gives the seeds; a live recipe's lock does not", async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    // A prompt edited since: the lock keeps tint's first seed, which its new prompt would not derive.
    await writeFile(join(root, 'recipe.yml'), CHAIN.replace('blue', 'teal'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(1);
    const before = await readLock(root);

    await rename(join(root, 'recipe.yml'), join(root, 'products.yml')); // git mv: the lock stays behind
    expect(await paid(['run', 'products.yml'], root, env)).toBe(0);
    const after = JSON.parse(await readFile(join(root, 'products.lock.json'), 'utf8')) as Lock;
    expect(after.nodes['tint@photo']?.key).toBe(before.nodes['tint@photo']?.key);
    // status names the old lock: new nodes take seeds from it until it is deleted.
    const status = await cli(['status', 'products.yml', '--json'], { cwd: root, env });
    expect(JSON.parse(status.stdout)).toMatchObject({ clean: true, stray_locks: [join(root, 'recipe.lock.json')] });
    const text = await cli(['status', 'products.yml'], { cwd: root, env });
    expect(text.stdout).toMatch(/Stray lock files \(1\):\n.*\n\trecipe\.lock\.json\n/);
    // Another user (an empty cache): the old lock's outputs are adopted.
    await rm(join(root, 'products.lock.json'));
    expect(await paid(['run', 'products.yml'], root, envFor(await tempDir('home2')))).toBe(0);

    // recipe.yml back beside its lock: that lock is its own again, no donor to a third recipe.
    await writeFile(join(root, 'recipe.yml'), CHAIN.replace('blue', 'teal'));
    await writeFile(join(root, 'third.yml'), CHAIN.replace('blue', 'teal').replace('name: chain', 'name: third'));
    expect(await paid(['run', 'third.yml'], root, env)).toBe(1);
  });

  it('moving a recipe to another folder without its lock is free: the lock left behind gives the seeds', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    await writeFile(join(root, 'recipe.yml'), CHAIN.replace('blue', 'teal')); // the lock's seed, not a derived one
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(1);
    // git mv recipe.yml campaigns/autumn/: its paths fixed, a pass renamed, the lock left behind.
    await mkdir(join(root, 'campaigns', 'autumn'), { recursive: true });
    const moved = CHAIN.replace('blue', 'teal')
      .replace('assets/portrait', '../../assets/portrait')
      .replace('id: tint', 'id: colour');
    await writeFile(join(root, 'campaigns', 'autumn', 'recipe.yml'), moved);
    await rm(join(root, 'recipe.yml'));
    const dir = join(root, 'campaigns', 'autumn');
    expect(await paid(['run', 'recipe.yml'], dir, env)).toBe(0);
    const status = await cli(['status', 'recipe.yml', '--json'], { cwd: dir, env });
    // Once it has a lock of its own, that lock is its seeds: the one left behind is no longer looked for.
    expect(JSON.parse(status.stdout)).toMatchObject({ clean: true, stray_locks: [] });
  });

  it('an old project .kontext/ and old output names migrate without paying', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    // Produce an old-style project: the store at <project>/.kontext, outputs at <out>/<node-id>.<ext>.
    expect(await paid(['run', 'recipe.yml'], root, { ...env, KONTEXT_CACHE_DIR: join(root, '.kontext') })).toBe(2);
    const lock = await readLock(root);
    for (const [id, e] of Object.entries(lock.nodes)) {
      const legacy = `out/chain/${id}.png`;
      await rename(join(root, e.output), join(root, legacy));
      e.output = legacy;
    }
    await rm(join(root, 'out', 'chain', 'crop'), { recursive: true });
    await rm(join(root, 'out', 'chain', 'tint'), { recursive: true });
    await writeFile(join(root, 'recipe.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);

    const r = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/moved the old project cache/);
    expect(await stat(join(root, '.kontext')).catch(() => null)).toBeNull();
    expect(await files(join(root, 'out'))).toEqual(['chain/crop/photo.png', 'chain/tint/photo.png']);
    const after = await readLock(root);
    expect(after.nodes['crop']?.output).toBe('out/chain/crop/photo.png');
    expect(after.nodes['crop']?.key).toBe(lock.nodes['crop']?.key);
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(0);
  });

  it('a legacy output moved before a kill -9 rewrote its lock entry, then the cache lost: not paid', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    // What the kill -9 left: the files already at their new names, the lock still naming the old ones.
    const lock = await readLock(root);
    for (const [id, e] of Object.entries(lock.nodes)) e.output = `out/chain/${id}.png`;
    await writeFile(join(root, 'recipe.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    // And a teammate's machine, or a deleted cache: no record, no blob.
    expect(await paid(['run', 'recipe.yml'], root, envFor(await tempDir('home2')))).toBe(0);
    expect(await files(join(root, 'out'))).toEqual(['chain/crop/photo.png', 'chain/tint/photo.png']);
    expect((await readLock(root)).nodes['crop']?.output).toBe('out/chain/crop/photo.png');
  });

  it('an old project .kontext/ is not moved into a throwaway stand-in when the cache dir is not writable', async () => {
    const root = await project();
    const old = join(root, '.kontext');
    // The old cache holds a result the lock no longer names (the tint prompt was changed after).
    expect(await paid(['run', 'recipe.yml'], root, envFor(await tempDir('home'), { KONTEXT_CACHE_DIR: old }))).toBe(2);
    const changed = CHAIN.replace('Tint the whole image blue', 'Tint the whole image green');
    await writeFile(join(root, 'recipe.yml'), changed);
    expect(await paid(['run', 'recipe.yml'], root, envFor(await tempDir('home'), { KONTEXT_CACHE_DIR: old }))).toBe(1);

    // The user's cache dir cannot be created (a file in the way): the run uses a stand-in in the
    // temp folder, removed when it ends. The old cache must not go with it.
    const blocked = await tempDir('blocked');
    await writeFile(join(blocked, 'file'), 'in the way');
    const env = envFor(blocked, { KONTEXT_CACHE_DIR: join(blocked, 'file', 'cache') });
    const r = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/not writable/);
    expect(await stat(join(old, 'records')).catch(() => null)).not.toBeNull();

    // Back to the first prompt with a writable cache: the old cache is migrated then, and pays nothing.
    await writeFile(join(root, 'recipe.yml'), CHAIN);
    expect(await paid(['run', 'recipe.yml'], root, envFor(await tempDir('home')))).toBe(0);
    expect(await stat(old).catch(() => null)).toBeNull();
  });

  it('old output names migrate with an empty cache too (adopted from the old path, then moved)', async () => {
    const root = await project();
    const env = envFor(await tempDir('home'));
    expect(await paid(['run', 'recipe.yml'], root, env)).toBe(2);
    const lock = await readLock(root);
    for (const [id, e] of Object.entries(lock.nodes)) {
      await rename(join(root, e.output), join(root, `out/chain/${id}.png`));
      e.output = `out/chain/${id}.png`;
    }
    await writeFile(join(root, 'recipe.lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    const fresh = envFor(await tempDir('fresh'));
    // Status and --dry-run say the run will move them (a change to commit), not "clean" (walk-aj 5).
    const json = await cli(['status', '--json', '--exit-code', 'recipe.yml'], { cwd: root, env: fresh });
    expect(json.code, json.stderr).toBe(1);
    const status = JSON.parse(json.stdout) as { clean: boolean; counts: { to_move: number }; to_move: unknown[] };
    expect(status).toMatchObject({ clean: false, counts: { to_move: 2 } });
    expect(status.to_move).toContainEqual({
      node: 'crop',
      from: join(root, 'out/chain/crop.png'),
      to: join(root, 'out/chain/crop/photo.png'),
    });
    const text = await cli(['status', 'recipe.yml'], { cwd: root, env: fresh });
    expect(text.stdout).toMatch(/To move to the current layout \(2\):/);
    expect(text.stdout).toMatch(/crop +out\/chain\/crop\.png → out\/chain\/crop\/photo\.png/);
    expect(text.stdout).toMatch(/2 of 2 nodes up to date; a run pays for nothing; 2 outputs to move/);
    const dry = await cli(['run', '--dry-run', 'recipe.yml'], { cwd: root, env: fresh });
    expect(dry.stdout + dry.stderr).toMatch(/a run moves 2 outputs an older kontext wrote .* to the current layout/);
    expect(await paid(['run', 'recipe.yml'], root, fresh)).toBe(0);
    expect(await files(join(root, 'out'))).toEqual(['chain/crop/photo.png', 'chain/tint/photo.png']);
  });
});
