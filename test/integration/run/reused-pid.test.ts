/**
 * Owners after a reboot: journal entries and the run lock's `.lck` file outlive the process and
 * the machine's boot, and pids are handed out again, so an owner's pid may be alive as some other
 * process. Both also carry their writer's tag (pid + start time + machine, util/process-tag.ts):
 * a live pid that started at another time is not the owner. A claim re-attaches to the entry's
 * request instead of waiting for a "live" run that will never record it, and a run takes over the
 * run lock instead of waiting forever. A real child process stands for the one that took the pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../src/index.js';
import { holdRunLock, waitingMessage } from '../../../src/run/run-lock.js';
import { claimSubmit } from '../../../src/run/submit-claim.js';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry } from '../../../src/store/types.js';
import { processPlace, processTag } from '../../../src/util/process-tag.js';

const KEY = 'a'.repeat(64);
let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  if (dir) await rm(dir, { recursive: true, force: true });
  child = undefined;
  dir = undefined;
});

/** Clock ticks since boot at which process `pid` started (field 22 of /proc/<pid>/stat). */
async function startOf(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, 'latin1');
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[19]);
}

/** Claim `KEY` against a journal entry with a request id, owned by a live pid with the tag `proc`. */
async function claimBeside(
  proc: ((pid: number, start: number) => string) | null,
  submittedAt = new Date().toISOString(),
): Promise<unknown> {
  dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
  const store = await openStore(join(dir, 'cache'));
  child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const pid = child.pid ?? 0;
  const entry: JournalEntry = {
    key: KEY,
    node: 'a',
    provider: 'runcomfy',
    model: 'flux-kontext-pro',
    seed: 1,
    input_sha256: 'b'.repeat(64),
    request_id: 'req-1',
    pid,
    ...(proc === null ? {} : { proc: proc(pid, await startOf(pid)) }),
    run: 'r0',
    submitted_at: submittedAt,
  };
  await store.journal.add(entry);
  const rt = createRuntime({ cwd: dir });
  const { request_id: _id, pid: _pid, proc: _proc, run: _run, ...intent } = entry;
  return claimSubmit(
    { ...intent, pid: process.pid, run: 'r1' },
    {
      store,
      pid: process.pid,
      isAlive: (p) => rt.isAlive(p),
      run: 'r1',
      providerDiesWithRun: false,
      resubmitUncertain: false,
      acceptRecords: true,
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      signal: AbortSignal.timeout(2_000),
      onWait: () => undefined,
    },
  );
}

const host = processTag.slice(processTag.indexOf('h') + 1);

describe.skipIf(processTag === '')('a journal entry whose pid was reused', () => {
  it('the pid alive with another start time is not the owner: the claim re-attaches to the request', async () => {
    expect(await claimBeside((pid, start) => `p${pid}t${start + 1}h${host}`)).toEqual({
      kind: 'attach',
      requestId: 'req-1',
    });
  });

  it('the same process (same start time) is the owner: the claim waits for its record', async () => {
    await expect(claimBeside((pid, start) => `p${pid}t${start}h${host}`)).rejects.toThrow(/timeout|abort/i);
  });

  it("an older kontext's entry (no tag), its pid alive as a process started since: not the owner", async () => {
    // walk-m: such an entry was waited for for ever once its pid was taken again.
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    expect(await claimBeside(null, anHourAgo)).toEqual({ kind: 'attach', requestId: 'req-1' });
  });

  it("an older kontext's entry (no tag) newer than its pid's process: maybe the owner, waited for", async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    await expect(claimBeside(null, later)).rejects.toThrow(/timeout|abort/i);
  });

  it("an older kontext's run lock (no tag) whose pid is alive as a process started since is taken over", async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    const lockPath = join(dir, 'r.lock.json');
    const lck = `${lockPath}.run.lck`;
    const rt = createRuntime({ cwd: dir });
    await writeFile(lck, JSON.stringify({ pid, created_at: Date.now() - 3_600_000 }));
    const release = (await holdRunLock(lockPath, {
      pid: process.pid,
      isAlive: (p) => rt.isAlive(p),
      signal: AbortSignal.timeout(5_000),
    })) as () => Promise<void>;
    expect(JSON.parse(await readFile(lck, 'utf8'))).toMatchObject({ pid: process.pid, proc: processTag });
    await release();
  });

  it('a run lock left by a dead run whose pid is alive again as another process is taken over', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
    child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    const lockPath = join(dir, 'r.lock.json');
    const lck = `${lockPath}.run.lck`;
    const rt = createRuntime({ cwd: dir });
    const hold = (proc: string): Promise<unknown> =>
      writeFile(lck, JSON.stringify({ pid, proc, created_at: Date.now(), token: 'old' })).then(() =>
        holdRunLock(lockPath, { pid: process.pid, isAlive: (p) => rt.isAlive(p), signal: AbortSignal.timeout(2_000) }),
      );
    const start = await startOf(pid);
    // The same process: it holds the lock, so the run waits (here until its timeout).
    await expect(hold(`p${pid}t${start}h${host}`)).rejects.toThrow(/timeout|abort/i);
    const release = (await hold(`p${pid}t${start + 1}h${host}`)) as () => Promise<void>;
    expect(JSON.parse(await readFile(lck, 'utf8'))).toMatchObject({ pid: process.pid, proc: processTag });
    await release();
  });

  it('a run lock of another machine, boot or container: waited for, its message names the file to delete', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
    const lockPath = join(dir, 'r.lock.json');
    const lck = `${lockPath}.run.lck`;
    // Our own pid (a container restarted as pid 1 again), but another machine's tag: not "this process".
    const elsewhere = `p${process.pid}t1h${host === '00000000' ? '11111111' : '00000000'}`;
    await writeFile(lck, JSON.stringify({ pid: process.pid, proc: elsewhere, created_at: 0, token: 'old' }));
    const told: string[] = [];
    await expect(
      holdRunLock(lockPath, {
        pid: process.pid,
        isAlive: () => true,
        signal: AbortSignal.timeout(1_500),
        onWait: (pid, where) => told.push(waitingMessage(pid, 'r.yml', process.pid, where)),
      }),
    ).rejects.toThrow(/timeout|abort/i);
    expect(told).toEqual([
      `waiting for another kontext run (pid ${process.pid}) on r.yml, started on another machine, container or ` +
        `boot: if none is running there, delete ${lck}`,
    ]);
  });

  describe.skipIf(processPlace === null)('a run lock that records its machine and boot', () => {
    const other = (h: string): string => (h === '00000000' ? '11111111' : '00000000');
    /** Hold the run lock against a `.lck` of `pid` written at `place`; what the waiter was told. */
    async function holdAgainst(pid: number, place: object): Promise<{ took: boolean; told: string[] }> {
      dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
      const lockPath = join(dir, 'r.lock.json');
      const proc = `p${pid}t1h${other(host)}`;
      await writeFile(`${lockPath}.run.lck`, JSON.stringify({ pid, proc, place, created_at: 0, token: 'old' }));
      const told: string[] = [];
      const rt = createRuntime({ cwd: dir });
      const release = await holdRunLock(lockPath, {
        pid: process.pid,
        isAlive: (p) => rt.isAlive(p),
        signal: AbortSignal.timeout(1_500),
        onWait: (p, where) => told.push(waitingMessage(p, 'r.yml', process.pid, where)),
      }).catch(() => null);
      await release?.();
      return { took: release !== null, told };
    }

    it('one of another boot of this machine is taken over, even when its pid is alive here again', async () => {
      child = spawn('sleep', ['60'], { stdio: 'ignore' });
      const place = { ...processPlace, boot: other(processPlace?.boot ?? '') };
      expect(await holdAgainst(child.pid ?? 0, place)).toEqual({ took: true, told: [] });
    });

    it('one of another machine is waited for even when no process has its pid here, naming its host', async () => {
      // A pid no process has here: taken over as a dead one's before the lock recorded its machine.
      const place = { machine: other(processPlace?.machine ?? ''), host: 'ws-7\u001b[2J', boot: 'abcdef01' };
      const seen = await holdAgainst(4_194_303, place);
      expect(seen.took).toBe(false);
      expect(seen.told).toEqual([
        `waiting for another kontext run (pid 4194303) on r.yml, started on another machine (ws-7[2J): ` +
          `if none is running there, delete ${join(dir ?? '', 'r.lock.json.run.lck')}`,
      ]);
    });

    // Another host name on this boot (a container, a renamed host): this kernel; its pid judged as before (review-g).
    it('one of this boot under another host name is judged by its pid: taken over when none has it here', async () => {
      const place = { machine: other(processPlace?.machine ?? ''), host: 'renamed', boot: processPlace?.boot };
      expect(await holdAgainst(4_194_303, place)).toEqual({ took: true, told: [] });
    });

    it('a run writes its place into the lock', async () => {
      dir = await mkdtemp(join(tmpdir(), 'kontext-owner-'));
      const lockPath = join(dir, 'r.lock.json');
      const release = await holdRunLock(lockPath, { pid: process.pid, isAlive: () => true });
      expect(JSON.parse(await readFile(`${lockPath}.run.lck`, 'utf8'))).toMatchObject({ place: processPlace });
      await release();
    });
  });
});
