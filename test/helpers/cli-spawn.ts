/**
 * Spawning the BUILT CLI (`node dist/cli/bin.js`) as a child process, for tests that need a
 * real process: exit codes, SIGINT, kill -9. `ensureBuilt` compiles once when dist is
 * missing or older than src (serialized across test workers by a lock folder).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './run-fixtures.js';

const BIN = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
const run = promisify(execFile);

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const d of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (d.isFile() && d.name.endsWith('.ts'))
      newest = Math.max(newest, (await stat(join(d.parentPath, d.name))).mtimeMs);
  }
  return newest;
}

async function isFresh(): Promise<boolean> {
  const built = await stat(BIN).catch(() => null);
  return built !== null && built.mtimeMs >= (await newestMtime(join(REPO_ROOT, 'src')));
}

/** Build dist/ unless it is up to date. Type errors in files being edited elsewhere do not stop emission. */
export async function ensureBuilt(): Promise<void> {
  if (await isFresh()) return;
  const lock = join(REPO_ROOT, 'node_modules', '.kontext-test-build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A lock left by a killed test process: older than any real build, so take it over.
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 150_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`build lock ${lock} held too long`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (await isFresh()) return;
    await run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: REPO_ROOT,
    }).catch(() => undefined);
    if (!(await stat(BIN).catch(() => null))) throw new Error('build did not produce dist/cli/bin.js');
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliChild {
  readonly child: ChildProcess;
  readonly done: Promise<CliResult>;
  /** stdout + stderr so far. */
  output(): string;
}

/** A clean environment: no inherited tokens or config, HOME (and so the cache) inside the project. */
export function cliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    // Never the real ~/.cache: the user-wide store lives inside the test's temp HOME.
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_COLOR: '1',
    ...extra,
  };
}

export function spawnCli(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; uid?: number; gid?: number },
): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    // A test's emulator on loopback polled as the built-in one is, not with a real API's 0.5 s
    // first read (src/providers/test-poll.ts); a test may set it otherwise. The run's temp folder
    // (test/helpers/global-tmp.ts), unless the test names one.
    env: { KONTEXT_TEST_FAST_POLL: '1', TMPDIR: tmpdir(), ...options.env },
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

/** Run the CLI to completion. */
export function cli(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): Promise<CliResult> {
  return spawnCli(args, options).done;
}
