/**
 * A run never holds its event loop for the disk to write a record: the BUILT CLI runs a chain
 * against the emulator under `strace -f`, and no rename into the cache's `records/` is made by
 * the main thread (the process's own pid, the one that exec'd node): each is on libuv's pool.
 * The record a node's review rewrites (rebuildable, unsynced) was renamed in synchronous calls,
 * on the main thread: on a busy ext4 disk 1-3 ms a node during which no poll, submit or download
 * of any other node went on. The trace must hold such renames at all, else the test proves nothing.
 * Needs strace (installed by `npm test`'s set-up and `.ci/run`); skipped only where ptrace is not allowed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cliEnv, ensureBuilt } from '../../helpers/cli-spawn.js';
import { runcomfyAt } from '../../helpers/run-children.js';
import { createProject, recipeYaml, REPO_ROOT, type Project } from '../../helpers/run-fixtures.js';
import { cannotTrace } from '../../helpers/strace.js';

let emulator: EmulatorHandle | undefined;
let project: Project | undefined;
let traceDir: string | undefined;

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  await emulator?.close();
  await project?.cleanup();
  if (traceDir) await rm(traceDir, { recursive: true, force: true });
  emulator = undefined;
  project = undefined;
  traceDir = undefined;
});

const RECIPE = recipeYaml(
  [
    ['a', 'Keep the face unchanged. Make the sky orange.', 'from: photo'],
    ['b', 'Keep everything else unchanged. Add a red scarf.', 'from: a'],
  ],
  ['hosting: { mode: inline }'],
).replace('provider: emulator', 'provider: runcomfy');

describe('the event loop and the disk (strace of the built CLI)', () => {
  it('no record is renamed into place by the main thread, the reviewed ones included', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    emulator = await startEmulator({ queueMs: 0, runMs: 20 });
    project = await createProject(RECIPE);
    const p = project;
    traceDir = await mkdtemp(join(tmpdir(), 'kontext-strace-'));
    const traceFile = join(traceDir, 'trace');
    const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
    const trace = ['-f', '-qq', '-s', '300', '-e', 'trace=execve,rename,renameat,renameat2', '-o', traceFile];
    const child = spawn('strace', [...trace, process.execPath, bin, 'run', p.recipe], {
      cwd: p.root,
      env: cliEnv(p.root, runcomfyAt(emulator)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, out).toBe(0);
    const lines = (await readFile(traceFile, 'utf8')).split('\n');
    const main = /^(\d+)\s+execve\(/.exec(lines[0] ?? '')?.[1];
    expect(main, lines.slice(0, 3).join('\n')).toBeDefined();
    const records = join(p.cacheDir, 'records');
    const intoRecords = lines.filter((l) => /^\d+\s+rename(at2?)?\(/.test(l) && l.includes(`"${records}/`));
    // Each node's record at least twice: as downloaded, then with its review.
    expect(intoRecords.length).toBeGreaterThanOrEqual(4);
    expect(intoRecords.filter((l) => l.startsWith(`${main} `))).toEqual([]);
  });
});
