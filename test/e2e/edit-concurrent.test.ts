/**
 * `kontext edit` (the built CLI) beside another command on one cache, counted at the emulator:
 * two identical edits at once (same image, prompt and seed) pay once, the second waiting for the
 * first's result; an edit and a recipe run with the same node at once pay once as well.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator({ queueMs: 50, runMs: 800 });

const PROMPT = 'Keep the face unchanged. Add a red scarf.';
const EDIT = ['edit', '--image', 'assets/portrait-astronaut.jpg', '--prompt', PROMPT, '--seed', '7'];
const RECIPE = `version: 1
name: scarf
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: scarf
    prompt: "${PROMPT}"
    seed: 7
`;

describe('kontext edit beside another command on one cache', () => {
  it('two identical edits at once: one request, both outputs written', async () => {
    const root = await project('version: 1\n');
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const a = spawnCli([...EDIT, '--hosting', 'inline', '-o', 'a.png'], { cwd: root, env });
    const b = spawnCli([...EDIT, '--hosting', 'inline', '-o', 'b.png'], { cwd: root, env });
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
    expect(submits(emulator()) - before).toBe(1);
    expect(ra.stderr + rb.stderr).toMatch(/waiting for another kontext run \(pid \d+\)/);
    expect([existsSync(join(root, 'a.png')), existsSync(join(root, 'b.png'))]).toEqual([true, true]);
  }, 30_000);

  it('an edit and a run of a recipe with the same node at once: one request', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const run = spawnCli(['run', 'recipe.yml'], { cwd: root, env });
    const edit = spawnCli([...EDIT, '--hosting', 'inline', '-o', 'scarf.png'], { cwd: root, env });
    const [rr, re] = await Promise.all([run.done, edit.done]);
    expect([rr.code, re.code], rr.stderr + re.stderr).toEqual([0, 0]);
    expect(submits(emulator()) - before).toBe(1);
    expect([existsSync(join(root, 'scarf.png')), existsSync(join(root, 'out', 'scarf', 'scarf', 'photo.png'))]).toEqual(
      [true, true],
    );
  }, 30_000);
});
