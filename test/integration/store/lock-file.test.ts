import { spawn } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireFileMutex,
  formatLock,
  LockCache,
  readLock,
  removeLockEntries,
  updateLock,
  type LockEntry,
} from '../../../src/store/index.js';
import { readLockState } from '../../../src/store/lock-file.js';
import { writeResolvedLock } from '../../../src/store/lock-merge.js';

const repo = resolve(import.meta.dirname, '../../..');
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const entry = (seed: number): LockEntry => ({
  seed,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: 'c'.repeat(64),
  output: `out/p/${seed}.png`,
  provider: 'emulator',
  model: 'm',
  request_id: `r${seed}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});
let dir: string;
let lockPath: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-lock-'));
  lockPath = join(dir, 'portrait.lock.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Spawn node (with the tsx loader by default); `done` resolves with its exit code and stderr. */
function run(
  args: string[],
  loader = ['--import', 'tsx'],
): { done: Promise<{ code: number | null; stderr: string }>; pid: number | undefined } {
  const child = spawn(process.execPath, [...loader, ...args], { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { pid: child.pid, done: new Promise((res) => child.on('close', (code) => res({ code, stderr }))) };
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    try {
      return await access(path);
    } catch {
      await delay(10);
    }
  }
  throw new Error(`timed out waiting for ${path}`);
}

describe('readLock / updateLock', () => {
  it('reads a missing lock as empty', async () => {
    expect(await readLock(lockPath)).toEqual({ version: 1, nodes: {} });
  });

  it('writes the formatted lock, keeps other entries, and releases the .lck', async () => {
    await updateLock(lockPath, (nodes) => void (nodes.jacket = entry(2)));
    const lock = await updateLock(lockPath, (nodes) => void (nodes.background = entry(1)));
    expect(Object.keys(lock.nodes).sort()).toEqual(['background', 'jacket']);
    expect(await readFile(lockPath, 'utf8')).toBe(formatLock(lock));
    expect(await readdir(dir)).toEqual(['portrait.lock.json']);
    await removeLockEntries(lockPath, ['jacket']);
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['background']);
  });

  it('releases the .lck when the mutation throws, and writes nothing', async () => {
    await expect(
      updateLock(lockPath, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to write an invalid entry', async () => {
    await expect(updateLock(lockPath, (nodes) => void (nodes.x = { ...entry(1), seed: -1 }))).rejects.toMatchObject({
      code: 'E_LOCK_BAD_ENTRY',
    });
    expect(await readdir(dir)).toEqual([]);
  });

  it('a corrupt lock file is exit 65 naming file:line:col, and is left untouched', async () => {
    const corrupt = '{\n  "version": 1,\n  "nodes": {\n    "a": { "seed": 1, }\n  }\n}\n';
    await writeFile(lockPath, corrupt);
    await expect(readLock(lockPath)).rejects.toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65 });
    const err = await updateLock(lockPath, (nodes) => void (nodes.b = entry(2))).catch((e: unknown) => e);
    expect(err).toMatchObject({ exitCode: 65, location: { file: lockPath, line: 4, col: 23 } });
    expect((err as Error).message).toContain(`${lockPath}:4:23:`);
    expect(await readFile(lockPath, 'utf8')).toBe(corrupt);
    expect(await readdir(dir)).toEqual(['portrait.lock.json']); // .lck released
  });

  it('a lock git left conflicted: readLock and updateLock refuse it (65); readLockState gives both sides', async () => {
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    const base = formatLock({ version: 1, nodes: { a } });
    const side = (id: string, e: LockEntry): string => {
      const lines = formatLock({ version: 1, nodes: { a, [id]: e } }).split('\n');
      return lines.slice(lines.indexOf(`    "${id}": {`), lines.indexOf('  },')).join('\n');
    };
    const conflicted = base.replace(
      '\n  },\n  "version"',
      `,\n<<<<<<< HEAD\n${side('b', b)}\n=======\n${side('c', c)}\n>>>>>>> other\n  },\n  "version"`,
    );
    await writeFile(lockPath, conflicted);
    const line = conflicted.split('\n').indexOf('<<<<<<< HEAD') + 1;
    const err = await readLock(lockPath).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: lockPath, line, col: 1 } });
    expect((err as Error).message).toBe(`${lockPath}:${line}:1: the lock has git conflict markers (1 conflict)`);
    expect((err as { hint?: string }).hint).toMatch(/`kontext run` resolves them/);
    await expect(updateLock(lockPath, (nodes) => void (nodes.d = entry(4)))).rejects.toMatchObject({ exitCode: 65 });
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);
    const state = await readLockState(lockPath);
    expect(state.sides?.ours.nodes).toEqual({ a, b });
    expect(state.sides?.theirs.nodes).toEqual({ a, c });
    // The merge replaces the file only while it is still the text that was merged.
    const merged = { version: 1 as const, nodes: { a, b, c } };
    expect(await writeResolvedLock(lockPath, `${conflicted} `, merged)).toBe(false);
    expect(await readFile(lockPath, 'utf8')).toBe(conflicted);
    expect(await writeResolvedLock(lockPath, conflicted, merged)).toBe(true);
    expect(await readFile(lockPath, 'utf8')).toBe(formatLock(merged));
  });

  it('a lock written by a newer kontext (version 2) is exit 65 saying so at its version, left untouched', async () => {
    const newer = formatLock({ version: 1, nodes: { a: entry(1) } }).replace('"version": 1', '"version": 2');
    await writeFile(lockPath, newer);
    const err = await readLock(lockPath).catch((e: unknown) => e);
    const line = newer.split('\n').findIndex((l) => l.includes('"version": 2')) + 1;
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: lockPath, line, col: 3 } });
    expect((err as Error).message).toBe(
      `${lockPath}:${line}:3: version 2 is the lock format of a newer kontext (this one reads version 1)`,
    );
    expect((err as { hint?: string }).hint).toMatch(/upgrade kontext/);
    await expect(updateLock(lockPath, (nodes) => void (nodes.b = entry(2)))).rejects.toMatchObject({ exitCode: 65 });
    expect(await readFile(lockPath, 'utf8')).toBe(newer);
  });

  it.each([
    [
      'in an entry',
      { a: { ...entry(1), output_media_type: 'image/png' } },
      {},
      7,
      'nodes.a: field "output_media_type"',
    ],
    ['at the top', { a: entry(1) }, { generator: 'kontext 0.2' }, 3, 'field "generator"'],
  ])('a field of a newer kontext %s: exit 65 at it, upgrade (not restore), left untouched', async (...c) => {
    const [, nodes, top, col, what] = c;
    const newer = `${JSON.stringify({ version: 1, ...top, nodes }, null, 2)}\n`;
    await writeFile(lockPath, newer);
    const err = await readLock(lockPath).catch((e: unknown) => e);
    const line = newer.split('\n').findIndex((l) => l.includes(`${what.slice(what.indexOf('"'))}:`)) + 1;
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: lockPath, line, col } });
    expect((err as Error).message).toBe(
      `${lockPath}:${line}:${col}: ${what} unknown to this kontext: the lock was probably written by a newer one`,
    );
    const hint = (err as { hint?: string }).hint;
    expect(hint).toMatch(/^upgrade kontext .*do not edit the lock/);
    expect(hint).not.toMatch(/restore|git/);
    await expect(updateLock(lockPath, (n) => void (n.b = entry(2)))).rejects.toMatchObject({ exitCode: 65 });
    expect(await readFile(lockPath, 'utf8')).toBe(newer);
  });

  it('a node held twice (a hand-merge keeping both sides) is exit 65 at the second, left untouched', async () => {
    const text = formatLock({ version: 1, nodes: { a: entry(1), b: entry(2) } });
    // Both sides of a conflict kept: "a" again, with another seed, after "b".
    const second = `    "a": ${JSON.stringify(entry(7), null, 2).split('\n').join('\n    ')}`;
    const merged = text.replace('\n  },\n  "version"', `,\n${second}\n  },\n  "version"`);
    expect(JSON.parse(merged).nodes.a.seed).toBe(7); // what JSON.parse alone would have kept
    await writeFile(lockPath, merged);
    const err = await readLock(lockPath).catch((e: unknown) => e);
    const at = merged.split('\n').lastIndexOf('    "a": {') + 1;
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65, location: { file: lockPath, line: at, col: 5 } });
    expect((err as Error).message).toBe(`${lockPath}:${at}:5: nodes: node "a" appears twice (first at line 3)`);
    expect((err as { hint?: string }).hint).toMatch(/one entry per node/);
    await expect(updateLock(lockPath, (nodes) => void (nodes.c = entry(3)))).rejects.toMatchObject({ exitCode: 65 });
    expect(await readFile(lockPath, 'utf8')).toBe(merged);
  });

  it('a key repeated inside an entry, or at the top, is exit 65 naming it', async () => {
    const text = formatLock({ version: 1, nodes: { a: entry(1) } });
    const seedTwice = text.replace('"request_id": "r1",', '"request_id": "r1",\n      "seed": 9,');
    await writeFile(lockPath, seedTwice);
    const err = await readLock(lockPath).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LOCK_INVALID', exitCode: 65 });
    const first = seedTwice.split('\n').indexOf('      "seed": 9,') + 1;
    expect((err as Error).message).toBe(
      `${lockPath}:${first + 1}:7: nodes.a: key "seed" appears twice (first at line ${first})`,
    );

    const nodesTwice = text.replace('"version": 1', '"version": 1,\n  "nodes": {}');
    await writeFile(lockPath, nodesTwice);
    const top = await readLock(lockPath).catch((e: unknown) => e);
    expect((top as Error).message).toMatch(/:\d+:3: key "nodes" appears twice \(first at line 2\)$/);
    // Without the repeats the same text reads fine, as do values that look like keys to the count.
    await writeFile(lockPath, text);
    expect((await readLock(lockPath)).nodes.a?.seed).toBe(1);
    const keyish = { version: 1 as const, nodes: { a: { ...entry(1), model: ':m', request_id: 'x": 1, "seed":' } } };
    await writeFile(lockPath, formatLock(keyish));
    expect(await readLock(lockPath)).toEqual(keyish);
  });

  it('takes over a lock left by a dead process', async () => {
    const dead = run(['-e', ''], []);
    await dead.done;
    await writeFile(`${lockPath}.lck`, JSON.stringify({ pid: dead.pid, created_at: Date.now(), token: 'x' }));
    await updateLock(lockPath, (nodes) => void (nodes.a = entry(1)), { pid: process.pid, isAlive, timeoutMs: 5_000 });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a']);
    expect(await readdir(dir)).toEqual(['portrait.lock.json']);
  });

  it('takes over a lock older than staleMs even without a liveness check', async () => {
    await writeFile(`${lockPath}.lck`, JSON.stringify({ pid: 1, created_at: Date.now() - 60_000, token: 'x' }));
    await updateLock(lockPath, (nodes) => void (nodes.a = entry(1)), { timeoutMs: 5_000 });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a']);
  });

  it('names the holder once its file has content (one caught between create and write is not "pid ?")', async () => {
    const lck = `${lockPath}.lck`;
    await writeFile(lck, ''); // created, not yet written
    const told: (number | undefined)[] = [];
    let naps = 0;
    const release = await acquireFileMutex(lockPath, {
      pid: process.pid,
      isAlive: () => true,
      onWait: (holder) => told.push(holder.pid),
      sleep: async () => {
        naps++;
        if (naps === 1) await writeFile(lck, JSON.stringify({ pid: 4242, created_at: Date.now(), token: 'other' }));
        if (naps === 3) await rm(lck); // the holder is done
      },
    });
    await release();
    expect(told).toEqual([4242]);
  });

  it('a holder whose file stays unreadable is reported without a pid after a few rounds', async () => {
    const lck = `${lockPath}.lck`;
    await writeFile(lck, 'not json');
    const told: (number | undefined)[] = [];
    let naps = 0;
    const release = await acquireFileMutex(lockPath, {
      pid: process.pid,
      onWait: (holder) => told.push(holder.pid),
      sleep: async () => {
        naps++;
        if (naps === 8) await rm(lck);
      },
    });
    await release();
    expect(told).toEqual([undefined]);
  });

  it('an abort ends the wait for a held lock at once, mid-pause, with its reason', async () => {
    await writeFile(`${lockPath}.lck`, JSON.stringify({ pid: 4242, created_at: Date.now(), token: 'held' }));
    const stop = new AbortController();
    const acquiring = acquireFileMutex(lockPath, {
      pid: process.pid,
      isAlive: () => true,
      signal: stop.signal,
      onWait: () => setImmediate(() => stop.abort(new Error('interrupted'))),
      // A pause far longer than the test's timeout: only the signal can end it.
      sleep: (_ms, signal) => delay(60_000, undefined, { signal }),
    });
    await expect(acquiring).rejects.toThrow('interrupted');
  });

  it('gives up on a live, fresh lock after the timeout with exit 75 and a hint', async () => {
    const held = JSON.stringify({ pid: process.pid, created_at: Date.now(), token: 'someone-else' });
    await writeFile(`${lockPath}.lck`, held);
    const err = await updateLock(lockPath, () => undefined, { pid: process.pid + 1, isAlive, timeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'E_LOCK_BUSY', exitCode: 75, hint: expect.stringContaining(`${lockPath}.lck`) });
    expect(await readFile(`${lockPath}.lck`, 'utf8')).toBe(held); // not ours to remove
  });

  it('with a cache, a write by someone else (rename or in-place edit) is read back, not overwritten', async () => {
    const cache = new LockCache();
    await updateLock(lockPath, (nodes) => void (nodes.a = entry(1)), { cache });
    await updateLock(lockPath, (nodes) => void (nodes.b = entry(2)));
    await updateLock(lockPath, (nodes) => void (nodes.c = entry(3)), { cache });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['a', 'b', 'c']);
    // A person's in-place edit (same inode) changes the size: the cache must not hide it.
    const edited = (await readFile(lockPath, 'utf8')).replace('"seed": 2', '"seed": 22');
    await writeFile(lockPath, edited);
    const lock = await updateLock(lockPath, (nodes) => void (nodes.d = entry(4)), { cache });
    expect(lock.nodes.b?.seed).toBe(22);
    expect(await readFile(lockPath, 'utf8')).toBe(formatLock(await readLock(lockPath)));
    expect((await readLock(lockPath)).nodes.b?.seed).toBe(22);
  });

  it('with a cache, an update that changes no text leaves the file alone; one that does rewrites it', async () => {
    const cache = new LockCache();
    await updateLock(lockPath, (nodes) => void Object.assign(nodes, { a: entry(1), b: entry(2) }), { cache });
    const before = await stat(lockPath, { bigint: true });
    // Equal entries, new objects: the same text, so no write (same inode and mtime).
    await updateLock(lockPath, (nodes) => void Object.assign(nodes, { a: entry(1), b: entry(2) }), { cache });
    const same = await stat(lockPath, { bigint: true });
    expect([same.ino, same.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    await updateLock(lockPath, (nodes) => void (nodes.b = { ...entry(2), seed: 3 }), { cache });
    expect((await readLock(lockPath)).nodes.b?.seed).toBe(3);
    await removeLockEntries(lockPath, ['a'], { cache });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['b']);
    expect(await readFile(lockPath, 'utf8')).toBe(formatLock(await readLock(lockPath)));
  });

  it('with a cache, a deleted lock file starts empty again and an invalid entry is refused', async () => {
    const cache = new LockCache();
    await updateLock(lockPath, (nodes) => void (nodes.a = entry(1)), { cache });
    await rm(lockPath);
    await updateLock(lockPath, (nodes) => void (nodes.b = entry(2)), { cache });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['b']);
    await expect(
      updateLock(lockPath, (nodes) => void (nodes.x = { ...entry(1), key: 'nope' }), { cache }),
    ).rejects.toMatchObject({
      code: 'E_LOCK_BAD_ENTRY',
      message: expect.stringContaining('nodes.x.key') as unknown,
    });
    expect(Object.keys((await readLock(lockPath)).nodes)).toEqual(['b']);
  });

  it('two processes adding 50 entries each at the same time lose nothing', async () => {
    const script = join(repo, 'test/integration/store/fixtures/lock-writer.ts');
    const go = join(dir, 'go');
    const children = ['left', 'right'].map((prefix) =>
      run([script, lockPath, prefix, '50', join(dir, `ready-${prefix}`), go]),
    );
    await Promise.all(['left', 'right'].map((p) => waitFor(join(dir, `ready-${p}`))));
    await writeFile(go, '');
    const results = await Promise.all(children.map((c) => c.done));
    for (const r of results) expect(r).toEqual({ code: 0, stderr: '' });
    const text = await readFile(lockPath, 'utf8');
    const lock = JSON.parse(text) as { nodes: Record<string, unknown> };
    expect(Object.keys(lock.nodes)).toHaveLength(100);
    expect(text).toBe(formatLock(await readLock(lockPath)));
    expect((await readdir(dir)).filter((n) => n.includes('.lck') || n.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
