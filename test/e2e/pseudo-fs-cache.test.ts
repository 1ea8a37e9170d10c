/**
 * A cache dir on a pseudo file system (`/proc/nope`), where mkdir says ENOENT though the parent
 * exists: Node's own recursive mkdir retried that for ever at 100 % CPU, so `run` and `status`
 * never returned (SIGTERM did not stop them either). Now it is an unwritable cache dir like any
 * other: one warning, the run goes on without a cache, in bounded time. Linux only (/proc).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli, type CliResult } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

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

/** The CLI's result, or a failure (the child killed) when it has not ended within `ms`. */
async function within(ms: number, args: readonly string[], cwd: string, env: Record<string, string>) {
  const child = spawnCli(args, { cwd, env });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const r: CliResult | 'late' = await Promise.race([child.done, late]);
  clearTimeout(timer);
  if (r === 'late') {
    child.child.kill('SIGKILL');
    await child.done;
    throw new Error(`kontext ${args.join(' ')} still running after ${ms} ms: ${child.output()}`);
  }
  return r;
}

describe.skipIf(!existsSync('/proc/self'))('a cache dir under /proc', () => {
  it('run and status end with the not-writable warning, whether set by flag or environment', async () => {
    const root = await project(RECIPE);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const warning = (dir: string) =>
      `warning cache dir ${dir} is not writable (ENOENT: no such file or directory): running without a cache; ` +
      'results are still written to out/ and the lock, requests in flight to the crash journal ' +
      // The stand-ins' journal in the temp folder, named by the user and the cache dir (open-cache.ts).
      join(
        tmpdir(),
        `kontext-journal-${process.getuid?.() ?? 0}-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`,
      );

    const before = submits(emulator());
    const first = await within(20_000, ['run', 'recipe.yml', '--cache-dir', '/proc/nope'], root, env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr.split('\n').filter((l) => l.includes('not writable'))).toEqual([warning('/proc/nope')]);
    expect(submits(emulator()) - before).toBe(1);

    const deeper = { ...env, KONTEXT_CACHE_DIR: '/proc/self/nope/deeper' };
    const second = await within(20_000, ['run', 'recipe.yml'], root, deeper);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(warning('/proc/self/nope/deeper'));
    // Up to date by the lock and the output file: nothing paid again, with no cache at all.
    expect(submits(emulator()) - before).toBe(1);

    const status = await within(20_000, ['status', 'recipe.yml'], root, { ...env, KONTEXT_CACHE_DIR: '/proc/nope' });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('up to date');
  }, 90_000);
});
