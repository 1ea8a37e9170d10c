/**
 * `kontext merge-lock` writes `%A` as every lock write is written (src/run/merge-lock.ts): a temp
 * beside it, fsynced, renamed, the folder fsynced. Killed with SIGKILL at the crash hook just
 * before the rename (`merge-lock-temp-written`), `%A` still holds git's bytes; the next attempt
 * writes the merge and removes the dead attempt's temp. Under strace, the folder is fsynced after
 * the rename (without it a power cut could leave git the old name).
 */
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatLock } from '../../src/store/lock-file.js';
import type { LockEntry } from '../../src/store/types.js';
import { cli, cliEnv, ensureBuilt } from '../helpers/cli-spawn.js';
import { tempDir } from '../helpers/e2e-kit.js';
import { REPO_ROOT } from '../helpers/run-fixtures.js';
import { cannotTrace, parseTrace, pathOf } from '../helpers/strace.js';
import { lockEntry } from '../helpers/lock-entries.js';

beforeAll(ensureBuilt, 180_000);

/** %O, %A, %B in a folder: both sides add a node; git's %A text is kept to compare. */
async function mergeFiles(): Promise<{ dir: string; ours: string; oursText: string }> {
  const dir = await tempDir('mergelock');
  const lock = (nodes: Record<string, LockEntry>): string => formatLock({ version: 1, nodes });
  const oursText = lock({ a: lockEntry(1), b: lockEntry(2) });
  await writeFile(join(dir, 'base'), lock({ a: lockEntry(1) }));
  await writeFile(join(dir, 'ours'), oursText);
  await writeFile(join(dir, 'theirs'), lock({ a: lockEntry(1), c: lockEntry(3) }));
  return { dir, ours: join(dir, 'ours'), oursText };
}

const ARGS = ['merge-lock', 'base', 'ours', 'theirs'];

describe('kontext merge-lock writes %A durably', () => {
  it('kill -9 before the rename leaves %A as git wrote it; the next attempt merges and sweeps the temp', async () => {
    const { dir, ours, oursText } = await mergeFiles();
    const hooks = { KONTEXT_TEST_HOOKS: '1', KONTEXT_TEST_CRASH_AT: 'merge-lock-temp-written' };
    const killed = await cli(ARGS, { cwd: dir, env: cliEnv(dir, hooks) });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await readFile(ours, 'utf8')).toBe(oursText);
    const temps = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    // The temp was complete (fsynced before the rename): the merge itself.
    const merged = JSON.parse(await readFile(join(dir, temps[0] as string), 'utf8')) as { nodes: object };
    expect(Object.keys(merged.nodes)).toEqual(['a', 'b', 'c']);

    const again = await cli(ARGS, { cwd: dir, env: cliEnv(dir) });
    expect(again.code, again.stderr).toBe(0);
    expect(Object.keys((JSON.parse(await readFile(ours, 'utf8')) as { nodes: object }).nodes)).toEqual(['a', 'b', 'c']);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('the temp is fsynced before the rename over %A, and the folder after it (strace)', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    const { dir, ours } = await mergeFiles();
    const trace = join(dir, 'trace');
    const bin = join(REPO_ROOT, 'dist', 'cli', 'bin.js');
    const syscalls = 'trace=rename,renameat,renameat2,fsync,fdatasync';
    const files = ['base', 'ours', 'theirs'].map((f) => join(dir, f)); // as the syscalls name them
    const args = ['-f', '-qq', '-yy', '-e', syscalls, '-o', trace, process.execPath, bin, 'merge-lock', ...files];
    const r = spawnSync('strace', args, { cwd: dir, env: cliEnv(dir), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const calls = parseTrace(await readFile(trace, 'utf8'));
    const rename = calls.find((c) => /^rename(at2?)?$/.test(c.name) && pathOf(c) === ours);
    expect(rename, 'no rename onto %A').toBeDefined();
    const at = rename?.start ?? 0;
    const fsyncs = calls.filter((c) => /^f(data)?sync$/.test(c.name));
    expect(fsyncs.some((f) => f.end < at && /\/\.ours\..*\.tmp$/.test(pathOf(f) ?? ''))).toBe(true);
    expect(fsyncs.some((f) => f.start > at && pathOf(f) === dir)).toBe(true);
  }, 60_000);
});
