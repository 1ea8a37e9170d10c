/**
 * Never pay twice when names move under content (src/run/orphans.ts, displaced entries), end to
 * end: the BUILT CLI against an emulator that counts every paid submit. A photo added to a glob
 * folder can take an existing instance's name (`shoe.jpg` beside `shoe.png`: the old photo
 * becomes `shoe-2`); two files can swap names; a pass can be renamed back to a name whose lock
 * entry asked something else. Each old request is still asked, under another node id: its seed
 * follows it, and only what is really new is paid.
 */
import { cp, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSETS } from '../helpers/run-fixtures.js';
import { paid as paidOn, project, runcomfyEnv, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();
const envFor = (home: string): Record<string, string> => runcomfyEnv(emulator(), home);
const paid = (cwd: string, env: Record<string, string>): Promise<number> =>
  paidOn(emulator(), ['run', 'recipe.yml'], cwd, env);

const GLOB = `version: 1
name: g
provider: runcomfy
hosting: { mode: inline }
sources:
  photos: "photos/*"
passes:
  - id: sky
    prompt: "Make the sky blue"
  - id: grass
    prompt: "Make the grass green"
`;

interface Lock {
  nodes: Record<string, { key: string; seed: number; output: string }>;
}
const readLock = async (root: string): Promise<Lock> =>
  JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as Lock;

async function globProject(files: Record<string, string>): Promise<string> {
  const root = await project(GLOB);
  await mkdir(join(root, 'photos'));
  for (const [name, asset] of Object.entries(files)) await cp(join(ASSETS, asset), join(root, 'photos', name));
  return root;
}

describe('names that move under content cost nothing (built CLI, counted at the emulator)', () => {
  it('a photo that takes an existing instance name: only its own chain is paid, also with an empty cache', async () => {
    const root = await globProject({ 'shoe.png': 'pet-chelsea.jpg' });
    const env = envFor(await tempDir('home'));
    expect(await paid(root, env)).toBe(2);
    const before = await readLock(root);

    // shoe.jpg sorts first and is named `shoe`; the photo that was `shoe` is now `shoe-2`.
    await cp(join(ASSETS, 'scene-rocket.jpg'), join(root, 'photos', 'shoe.jpg'));
    const teammate = await globProject({ 'shoe.png': 'pet-chelsea.jpg', 'shoe.jpg': 'scene-rocket.jpg' });
    await cp(join(root, 'recipe.lock.json'), join(teammate, 'recipe.lock.json'));
    await cp(join(root, 'out'), join(teammate, 'out'), { recursive: true });

    expect(await paid(root, env)).toBe(2);
    const after = await readLock(root);
    expect(after.nodes['sky@shoe-2']?.key).toBe(before.nodes['sky@shoe']?.key);
    expect(after.nodes['grass@shoe-2']?.key).toBe(before.nodes['grass@shoe']?.key);
    // The new photo's chain keeps the name's seeds (as an edited source does), with its own input.
    expect(after.nodes['sky@shoe']?.seed).toBe(before.nodes['sky@shoe']?.seed);
    expect(after.nodes['sky@shoe']?.key).not.toBe(before.nodes['sky@shoe']?.key);

    // A teammate with the old lock and outputs and an empty cache: the old files are adopted.
    expect(await paid(teammate, envFor(await tempDir('home2')))).toBe(2);
    expect((await readLock(teammate)).nodes['grass@shoe-2']?.key).toBe(before.nodes['grass@shoe']?.key);
  });

  it('two photos that swap names: nothing is paid', async () => {
    const root = await globProject({ 'a.jpg': 'pet-chelsea.jpg', 'b.jpg': 'scene-rocket.jpg' });
    const env = envFor(await tempDir('home'));
    expect(await paid(root, env)).toBe(4);
    const before = await readLock(root);
    const photos = join(root, 'photos');
    await rename(join(photos, 'a.jpg'), join(photos, 'tmp.jpg'));
    await rename(join(photos, 'b.jpg'), join(photos, 'a.jpg'));
    await rename(join(photos, 'tmp.jpg'), join(photos, 'b.jpg'));
    expect(await paid(root, env)).toBe(0);
    const after = await readLock(root);
    expect(after.nodes['grass@a']?.key).toBe(before.nodes['grass@b']?.key);
    expect(after.nodes['grass@b']?.key).toBe(before.nodes['grass@a']?.key);
  });

  it('a pass renamed back to a name whose lock entry asked something else: nothing is paid', async () => {
    const one = (id: string, prompt: string): string =>
      `version: 1\nname: r\nprovider: runcomfy\nhosting: { mode: inline }\nsources:\n  photo: photo.jpg\n` +
      `passes:\n  - id: ${id}\n    prompt: "${prompt}"\n`;
    const root = await project(one('aa', 'Add a red hat'));
    await cp(join(ASSETS, 'portrait-astronaut.jpg'), join(root, 'photo.jpg'));
    const env = envFor(await tempDir('home'));
    expect(await paid(root, env)).toBe(1);
    await writeFile(join(root, 'recipe.yml'), one('bb', 'Add a blue hat'));
    expect(await paid(root, env)).toBe(1);
    const blue = (await readLock(root)).nodes['bb'];
    // Back to `aa`, asking what `bb` asked: `aa`'s own entry (red) would reuse its seed and pay.
    await writeFile(join(root, 'recipe.yml'), one('aa', 'Add a blue hat'));
    expect(await paid(root, env)).toBe(0);
    expect((await readLock(root)).nodes['aa']?.key).toBe(blue?.key);
  });
});
