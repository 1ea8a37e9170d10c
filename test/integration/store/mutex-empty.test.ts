/**
 * A file mutex's `.lck` that names no holder (src/store/file-mutex.ts). A holder that created it
 * and was killed (or lost power) before writing its text left it empty: with no pid it could only
 * go stale by age, and a run lock never does, so every later `run` of the recipe waited for ever
 * ("waiting for another kontext run (pid ?)"); a `<lock>.lck` made the next run give up after
 * 15 s (exit 75) although it went stale only at 30 s, and a `gc.lck` at 10 minutes. Now a live
 * holder's `.lck` is a hard link to a temp already written (never empty), an empty one is a
 * crash's leftover once a few seconds old whatever `staleMs` says, and no waiter gives up before
 * that.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holdRunLock } from '../../../src/run/run-lock.js';
import { gcStore } from '../../../src/store/gc.js';
import { openStore, readLock, updateLock } from '../../../src/store/index.js';
import { lockEntry } from '../../helpers/lock-entries.js';
import { cannotTrace, parseTrace } from '../../helpers/strace.js';

const repo = resolve(import.meta.dirname, '../../..');
let dir: string;
afterEach(() => rm(dir, { recursive: true, force: true }));

async function folder(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'kontext-mutex-empty-'));
  return dir;
}

/** An empty file at `path`, last modified `agoMs` ago. */
async function emptyFile(path: string, agoMs: number): Promise<void> {
  await writeFile(path, '');
  const then = new Date(Date.now() - agoMs);
  await utimes(path, then, then);
}

/** A clock that moves only when the mutex sleeps: a wait of many seconds, at once. */
function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void> } {
  let t = Date.now();
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code !== 'ESRCH';
  }
};

describe('a .lck left empty by a crash', () => {
  it('a run lock, however old, is taken over: the next run does not wait for ever', async () => {
    const lockPath = join(await folder(), 'r.lock.json');
    await emptyFile(`${lockPath}.run.lck`, 2 * 86_400_000);
    const told: (number | undefined)[] = [];
    const release = await holdRunLock(lockPath, {
      pid: process.pid,
      isAlive,
      onWait: (pid) => told.push(pid),
      signal: AbortSignal.timeout(10_000),
    });
    expect(JSON.parse(await readFile(`${lockPath}.run.lck`, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    expect(await readdir(dir)).toEqual([]);
    expect(told).toEqual([]);
  });

  it('a run lock left just now is taken over once a few seconds old (a kill -9 at start-up)', async () => {
    const lockPath = join(await folder(), 'r.lock.json');
    await writeFile(`${lockPath}.run.lck`, '');
    const release = await holdRunLock(lockPath, { pid: process.pid, isAlive, signal: AbortSignal.timeout(20_000) });
    await release();
    expect(await readdir(dir)).toEqual([]);
  }, 30_000);

  it("the lock file's mutex: a run waits until it is stale instead of giving up at 15 s", async () => {
    const lockPath = join(await folder(), 'r.lock.json');
    await writeFile(`${lockPath}.lck`, '');
    const clock = fakeClock();
    const start = clock.now();
    await updateLock(lockPath, (nodes) => void (nodes.a = lockEntry(1)), { pid: process.pid, isAlive, ...clock });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a']);
    // Not broken at once (a live holder may be between its create and its write where there are no hard links).
    expect(clock.now() - start).toBeGreaterThan(1_000);
  });

  it("gc's mutex: gc waits until it is stale instead of giving up at 15 s (its stale age is 10 minutes)", async () => {
    const cache = join(await folder(), 'cache');
    await openStore(cache);
    await writeFile(join(cache, 'gc.lck'), '');
    const clock = fakeClock();
    const report = await gcStore(cache, { olderThanMs: 1, lockFiles: [], pid: process.pid, isAlive, ...clock });
    expect(report.removed.records).toBe(0);
    expect(await stat(join(cache, 'gc.lck')).catch(() => null)).toBeNull();
  });

  it('a live holder gives up saying gc holds the cache, not that a run writes a lock file', async () => {
    const cache = join(await folder(), 'cache');
    await openStore(cache);
    const held = JSON.stringify({ pid: process.pid, created_at: Date.now(), token: 'another-gc' });
    await writeFile(join(cache, 'gc.lck'), held);
    const err = await gcStore(cache, {
      olderThanMs: 1,
      lockFiles: [],
      now: Date.now,
      pid: process.pid + 1,
      isAlive,
      timeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_BUSY', exitCode: 75 });
    const { hint } = err as { hint: string };
    expect(hint).toBe(`another kontext gc is pruning this cache; if none is running, delete ${join(cache, 'gc.lck')}`);
  });
});

describe('a live holder never leaves its .lck empty (strace)', () => {
  it('the .lck name appears only as the link of a temp its text was written to', async (ctx) => {
    const why = cannotTrace();
    if (why !== null) return ctx.skip(why);
    const file = join(await folder(), 'r.lock.json');
    const trace = join(dir, 'trace');
    const script = [
      `import { acquireFileMutex } from ${JSON.stringify(join(repo, 'src/store/file-mutex.ts'))};`,
      `const release = await acquireFileMutex(${JSON.stringify(file)}, { pid: process.pid });`,
      'await release();',
    ].join('\n');
    const args = ['-f', '-qq', '-yy', '-s', '300', '-e', 'trace=open,openat,write,link,linkat', '-o', trace];
    const child = spawn('strace', [...args, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await new Promise((r) => child.once('close', r)), stderr).toBe(0);
    const calls = parseTrace(await readFile(trace, 'utf8'));
    const lck = `${file}.lck`;
    const created = calls.filter(
      (c) => /^open(at)?$/.test(c.name) && c.args.includes(`"${lck}"`) && /O_CREAT/.test(c.args),
    );
    expect(created.map((c) => c.args)).toEqual([]);
    const linked = calls.filter((c) => /^link(at)?$/.test(c.name) && c.args.includes(`"${lck}"`));
    expect(linked).toHaveLength(1);
    const temp = /"([^"]+\.tmp)"/.exec(linked[0]?.args ?? '')?.[1] ?? 'no temp';
    const written = calls.filter(
      (c) => c.name === 'write' && c.args.includes(`<${temp}>`) && c.start < linked[0]!.start,
    );
    expect(written.map((c) => c.args).join('\n')).toContain('\\"token\\":');
  }, 60_000);
});
