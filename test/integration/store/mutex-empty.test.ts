/**
 * A file mutex's `.lck` that names no holder (src/store/file-mutex.ts). A holder that created it
 * and was killed (or lost power) before writing its text left it empty: with no pid it could only
 * go stale by age, and a run lock never does, so every later `run` of the recipe waited for ever
 * ("waiting for another kontext run (pid ?)"); a `<lock>.lck` made the next run give up after
 * 15 s (exit 75) although it went stale only at 30 s, and a `gc.lck` at 10 minutes. Now a live
 * holder's `.lck` is a hard link to a temp already written (never empty), an empty one is a
 * crash's leftover once a few seconds old whatever `staleMs` says, and no waiter gives up before
 * that. gc, which must run to free a full disk, holds `gc.lck` there by an empty file linked to a
 * temp whose name tells the holder (on a real full tmpfs: root only, skipped saying why elsewhere).
 */
import { execFile, spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { holdRunLock } from '../../../src/run/run-lock.js';
import { gcStore } from '../../../src/store/gc.js';
import { openStore, readLock, updateLock, type RunRecord } from '../../../src/store/index.js';
import { processTag } from '../../../src/util/process-tag.js';
import { lockEntry } from '../../helpers/lock-entries.js';
import { type ExfatDisk, mountExfat } from '../../helpers/exfat-disk.js';
import { cannotTrace, parseTrace } from '../../helpers/strace.js';

const exec = promisify(execFile);
const repo = resolve(import.meta.dirname, '../../..');
let dir = '';
let mounted: string | undefined;
let cannotMount: string | null = null;

beforeAll(async () => {
  const probe = await mkdtemp(join(tmpdir(), 'kontext-mount-probe-'));
  try {
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    await exec('umount', [probe]);
  } catch (e) {
    cannotMount = `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0] ?? ''})`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
});
afterEach(async () => {
  if (mounted !== undefined) await exec('umount', ['-l', mounted]).catch(() => undefined);
  mounted = undefined;
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  dir = '';
});

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

describe('on a disk without hard links (exFAT): the .lck created in place, as before', () => {
  let disk: ExfatDisk | string = 'not mounted yet';
  beforeAll(async () => {
    disk = await mountExfat(16);
  }, 60_000);
  afterAll(async () => {
    if (typeof disk === 'string') process.stderr.write(`mutex-empty.test.ts: SKIPPED on exFAT: ${disk}\n`);
    else await disk.unmount();
  });

  it('held with its text, released, nothing left; an empty leftover taken over', async (ctx) => {
    if (typeof disk === 'string') return ctx.skip(disk);
    const lockPath = join(disk.dir, 'r.lock.json');
    const release = await holdRunLock(lockPath, { pid: process.pid, isAlive, signal: AbortSignal.timeout(10_000) });
    expect(JSON.parse(await readFile(`${lockPath}.run.lck`, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    expect(await readdir(disk.dir)).toEqual([]);
    await emptyFile(`${lockPath}.run.lck`, 60_000);
    const again = await holdRunLock(lockPath, { pid: process.pid, isAlive, signal: AbortSignal.timeout(10_000) });
    await again();
    expect(await readdir(disk.dir)).toEqual([]);
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

/** A record and its blob in the store at `cache`, last used two days ago. */
async function oldRecord(cache: string, name: string): Promise<void> {
  const store = await openStore(cache);
  const blob = await store.putBlob(Buffer.alloc(20_000, name));
  const key = Buffer.from(name.padEnd(32, '.')).toString('hex');
  const rec: RunRecord = {
    key,
    node: name,
    provider: 'emulator',
    model: 'm',
    seed: 1,
    input_sha256: 'd'.repeat(64),
    output_sha256: blob,
    media_type: 'image/png',
    ext: 'png',
    request_id: `req-${name}`,
    finished_at: '2025-01-01T00:00:00.000Z',
  };
  await store.putRecord(rec);
  const then = new Date(Date.now() - 2 * 86_400_000);
  for (const path of [
    join(cache, 'records', key.slice(0, 2), `${key}.json`),
    join(cache, 'blobs', blob.slice(0, 2), blob),
  ])
    await utimes(path, then, then);
}

/** Fill the file system of `folder` with one file until ENOSPC. */
async function fill(folder: string): Promise<void> {
  const handle = await open(join(folder, 'filler.bin'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOSPC') throw e;
  } finally {
    await handle.close();
  }
}

const host = processTag.slice(processTag.indexOf('h') + 1);

describe.skipIf(processTag === '')('gc on a full disk: gc.lck held by an empty file named by its temp', () => {
  it('frees the disk: the lock needs no data block, and a second gc meanwhile is told who holds it', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    mounted = join(await folder(), 'disk');
    await mkdir(mounted);
    await exec('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0755', 'tmpfs', mounted]);
    const cache = join(mounted, 'cache');
    for (const name of ['one', 'two', 'three']) await oldRecord(cache, name);
    await fill(mounted);
    await expect(writeFile(join(mounted, 'probe'), 'x')).rejects.toMatchObject({ code: 'ENOSPC' });
    const meanwhile: unknown[] = [];
    const options = { lockFiles: [], now: Date.now, pid: process.pid, isAlive };
    const report = await gcStore(cache, {
      ...options,
      maxBytes: 1,
      lockFiles: async () => {
        meanwhile.push((await stat(join(cache, 'gc.lck'))).size);
        meanwhile.push(await gcStore(cache, { ...options, maxBytes: 1, timeoutMs: 50 }).catch((e: unknown) => e));
        return [];
      },
    });
    expect(report.removed.records).toBe(3);
    expect(meanwhile[0]).toBe(0);
    expect(meanwhile[1]).toMatchObject({
      code: 'E_LOCK_BUSY',
      message: expect.stringContaining(`process ${process.pid}`),
    });
    expect((await readdir(cache)).filter((n) => n.includes('gc.lck'))).toEqual([]);
  }, 30_000);

  /** An empty gc.lck linked to an empty temp named with `tag`, as a gc on a full disk holds it. */
  async function emptyHold(cache: string, tag: string): Promise<string> {
    await openStore(cache);
    const via = join(cache, `.gc.lck.${tag}_abcdef-1.tmp`);
    await writeFile(via, '');
    await link(via, join(cache, 'gc.lck'));
    return via;
  }

  it("a dead gc's empty hold is taken over at once, its temp removed", async () => {
    const cache = join(await folder(), 'cache');
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => dead.once('close', r));
    const via = await emptyHold(cache, `p${dead.pid}t1h${host}`);
    await gcStore(cache, {
      olderThanMs: 1,
      lockFiles: [],
      now: Date.now,
      pid: process.pid,
      isAlive,
      // Well before an empty file's few seconds: taken over because its holder is dead.
      signal: AbortSignal.timeout(2_000),
    });
    expect(await stat(via).catch(() => null)).toBeNull();
    expect((await readdir(cache)).filter((n) => n.includes('gc.lck'))).toEqual([]);
  });

  it("a live gc's empty hold is waited for and named, not taken for a crash's leftover", async () => {
    const cache = join(await folder(), 'cache');
    const via = await emptyHold(cache, processTag);
    const old = new Date(Date.now() - 60_000);
    await utimes(via, old, old);
    const err = await gcStore(cache, {
      olderThanMs: 1,
      lockFiles: [],
      now: Date.now,
      pid: process.pid,
      isAlive,
      timeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_BUSY', message: expect.stringContaining(`process ${process.pid}`) });
    expect((await stat(join(cache, 'gc.lck'))).ino).toBe((await stat(via)).ino);
  });
});
