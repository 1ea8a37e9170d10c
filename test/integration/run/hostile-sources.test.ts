/**
 * A shared recipe that names a secret as a source is refused before anything is hashed,
 * hosted or submitted: the emulator's request log stays empty.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProject, runIn, startRig, type Project, type Rig } from '../../helpers/run-fixtures.js';

let project: Project;
let rig: Rig;
let outside: string;
beforeEach(async () => {
  project = await createProject('version: 1\n');
  rig = await startRig();
  outside = await mkdtemp(join(tmpdir(), 'kontext-home-'));
});
afterEach(async () => {
  await rig.close();
  await project.cleanup();
  await rm(outside, { recursive: true, force: true });
});

const recipe = (source: string): string =>
  `version: 1\nprovider: emulator\nsources:\n  photo: ${source}\n` +
  `passes:\n  - id: hat\n    prompt: Keep the cat unchanged. Add a hat.\n`;

describe('hostile sources', () => {
  it('`sources: { photo: .env }` exits 65 and nothing is submitted', async () => {
    await writeFile(join(project.root, '.env'), 'AWS_SECRET_ACCESS_KEY=hunter2\n');
    await project.writeRecipe(recipe('.env'));
    await expect(runIn(project, {}, { rig })).rejects.toMatchObject({ exitCode: 65 });
    expect(rig.calls()).toEqual([]);
    expect(existsSync(join(project.root, 'out'))).toBe(false);
  });

  it('a "photo" linked to a file outside the project exits 65 and nothing is submitted', async () => {
    await writeFile(join(outside, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    await symlink(join(outside, 'id_rsa'), join(project.root, 'assets', 'shot.jpg'));
    await project.writeRecipe(recipe('assets/shot.jpg'));
    const e = await runIn(project, {}, { rig }).catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 65, problems: [{ code: 'source-outside-root' }] });
    expect(rig.calls()).toEqual([]);
  });
});
