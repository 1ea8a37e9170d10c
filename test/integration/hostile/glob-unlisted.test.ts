/**
 * A folder a glob cannot list (walk-x 5): a path past PATH_MAX (4096 bytes; tests run as root, so
 * a folder without permission would still be read) was skipped without a word, its image silently
 * not a source. Now the glob says which folders it could not list and why: a warning beside its
 * other matches, part of the error when it matched nothing.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { ASSETS, testRuntime } from '../../helpers/run-fixtures.js';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-glob-unlisted-'));
  await mkdir(path.join(root, '.git'));
  await mkdir(path.join(root, 'in'));
});
// `rm -rf` walks a tree deeper than PATH_MAX by relative steps; Node's rm names whole paths.
afterEach(() => {
  spawnSync('rm', ['-rf', root]);
});

/** A copy of an image 22 folders of 200 characters below `in/` (a path of ~4,450 bytes). */
function deepImage(): void {
  const name = 'd'.repeat(200);
  const script = `cd "$1/in" && for i in $(seq 22); do mkdir ${name} && cd ${name}; done && cat > deep.jpg`;
  const image = path.join(ASSETS, 'pet-chelsea.jpg');
  const made = spawnSync('bash', ['-c', `${script} < "$2"`, 'bash', root, image]);
  expect(made.status, made.stderr.toString()).toBe(0);
}

async function validate(): Promise<{ code: number; out: string }> {
  await writeFile(
    path.join(root, 'r.yml'),
    'version: 1\nname: r\nprovider: emulator\nsources:\n  shots: "in/**/*.jpg"\n' +
      'passes:\n  - id: bg\n    prompt: Keep it unchanged. Add a hat.\n',
  );
  const rt = testRuntime(root);
  const code = await main(['validate', 'r.yml'], { rt });
  return { code, out: rt.stdout.text() + rt.stderr.text() };
}

describe('a glob and the folders it cannot list', () => {
  it('beside other matches: a warning naming the folder and its error', async () => {
    await copyFile(path.join(ASSETS, 'pet-chelsea.jpg'), path.join(root, 'in', 'top.jpg'));
    deepImage();
    const { code, out } = await validate();
    expect(code, out).toBe(0);
    expect(out).toMatch(/glob "in\/\*\*\/\*\.jpg" could not list a folder: "in\/d+…d+" \(ENAMETOOLONG\)/);
  });

  it('with no other match: the error says why', async () => {
    deepImage();
    const { code, out } = await validate();
    expect(code).toBe(66);
    expect(out).toContain('no files match "in/**/*.jpg"; could not list a folder:');
    expect(out).toContain('(ENAMETOOLONG)');
  });
});
