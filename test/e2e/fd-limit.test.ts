/**
 * Out of file descriptors (a low `ulimit -n` with many -j slots): the BUILT CLI, bundled as
 * `npm run build` ships it (the unbundled modules tsc writes load lazily, and a module read at
 * the limit fails), in a shell with `ulimit -n 64`, -j 32 on 30 nodes, against the emulator (in
 * this process, its descriptors apart), which counts every paid submit. The store's writes wait
 * for a free descriptor, a socket that cannot be made is a request not sent; a paid request's id
 * is never lost. The first run plus a plain re-run pay exactly once per node, and the first never
 * says "internal error".
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';
import { ASSETS, REPO_ROOT } from '../helpers/run-fixtures.js';

const emulator = useEmulator();
const NODES = 30;
let bundle = '';

// What tsc wrote, bundled by the build's own script into a folder of this test (as bundle.test.ts does).
beforeAll(async () => {
  bundle = await mkdtemp(join(tmpdir(), 'kontext-fd-bundle-'));
  const cliDir = join(bundle, 'dist', 'cli');
  await mkdir(cliDir, { recursive: true });
  await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-cli.mjs'), '--out', cliDir]);
  await writeFile(join(bundle, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(REPO_ROOT, 'node_modules'), join(bundle, 'node_modules'));
}, 120_000);
afterAll(async () => {
  await rm(bundle, { recursive: true, force: true });
});

const RECIPE = `version: 1
name: many
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: "photos/*.jpg"
passes:
  - id: hat
    prompt: "Keep everything else unchanged. Add a hat."
`;

/** The built CLI under `ulimit -n <limit>` (the shell's builtin, then exec: the limit is the CLI's). */
function cliWithFdLimit(limit: number, args: readonly string[], cwd: string, env: Record<string, string>) {
  const bin = join(bundle, 'dist', 'cli', 'bin.js');
  const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${limit} && exec ${quoted}`], {
    cwd,
    env: { KONTEXT_TEST_FAST_POLL: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('out of file descriptors (ulimit -n 64, -j 32)', () => {
  it('pays once per node over a run and a re-run; no paid request is lost, no "internal error"', async () => {
    const root = await project(RECIPE);
    await mkdir(join(root, 'photos'));
    for (let i = 0; i < NODES; i++)
      await copyFile(
        join(ASSETS, 'portrait-astronaut.jpg'),
        join(root, 'photos', `p${String(i).padStart(2, '0')}.jpg`),
      );
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());

    const first = await cliWithFdLimit(64, ['run', 'recipe.yml', '-j', '32'], root, env);
    const said = `${first.stdout}\n${first.stderr}`;
    // Done, or (descriptors short for good) exit 75 saying what to do: never 70, never a paid id lost.
    expect([0, 75], said).toContain(first.code);
    expect(said).not.toMatch(/internal error|maybe paid/);

    const again = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(again.code, `${said}\n${again.stdout}\n${again.stderr}`).toBe(0);
    expect(submits(emulator()) - before, said).toBe(NODES);
  }, 120_000);
});
