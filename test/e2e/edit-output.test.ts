/**
 * `kontext edit -o` onto a recipe's output (a file kontext wrote, named by the recipe's lock),
 * through the built CLI: it used to be replaced silently, and the recipe's next run then put its
 * own output back over the edit's paid result, as silently. Now the edit refuses before paying
 * (exit 65, one line naming the file and --overwrite) and the recipe stays up to date.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { sha256File } from '../helpers/run-fixtures.js';
import { paid, project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();

const RECIPE = `version: 1
name: chain
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
`;

const EDIT = ['edit', '--image', 'assets/portrait-astronaut.jpg', '--prompt', 'Make the sky orange'];

describe('kontext edit -o onto a recipe output', () => {
  it('is refused before paying, exit 65 naming the file and --overwrite; the recipe stays up to date', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    expect(await paid(emulator(), ['run', 'recipe.yml'], root, env)).toBe(1);
    const output = join(root, 'out', 'chain', 'tint', 'photo.png');
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as {
      nodes: Record<string, { output_sha256: string }>;
    };
    const sha = lock.nodes['tint']?.output_sha256;
    expect(await sha256File(output)).toBe(sha);

    const before = submits(emulator());
    const r = await cli([...EDIT, '--hosting', 'inline', '-o', 'out/chain/tint/photo.png'], { cwd: root, env });
    expect(r.code, r.stderr).toBe(65);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${output} already exists`);
    expect(lines[0]).toContain('--overwrite');
    expect(submits(emulator()) - before).toBe(0);
    expect(await sha256File(output)).toBe(sha);

    const status = await cli(['status', 'recipe.yml'], { cwd: root, env });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('all 1 node up to date');

    // With --overwrite it is replaced, as asked.
    expect(await paid(emulator(), [...EDIT, '--hosting', 'inline', '-o', output, '--overwrite'], root, env)).toBe(1);
    expect(await sha256File(output)).not.toBe(sha);
  }, 60_000);
});
