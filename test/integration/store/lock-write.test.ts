/**
 * The one durable lock write (src/store/lock-write.ts) as each of its three writers makes it: a
 * run's `updateLock`, the merge of a conflicted lock (`writeResolvedLock`) and the git merge
 * driver (`mergeLockFiles`, through the public API with a runtime whose cwd is not the
 * process's). Each sweeps a dead writer's temp beside the file (a live writer's stays) and
 * replaces the file; on a full disk (a real tmpfs, where one can be mounted) each is one error
 * naming the file, exit 73, the file as it was and no temp left.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, mergeLockFiles } from '../../../src/index.js';
import { formatLock, updateLock } from '../../../src/store/lock-file.js';
import { writeResolvedLock } from '../../../src/store/lock-merge.js';
import type { LockEntry } from '../../../src/store/types.js';
import { processTag } from '../../../src/util/process-tag.js';
import { lockEntry } from '../../helpers/lock-entries.js';

const run = promisify(execFile);

/** `count` entries `n0…` (a lock of about 400 bytes each). */
function nodes(count: number, from = 0): Record<string, LockEntry> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`n${i}`, lockEntry(from + i)]));
}

const lockText = (n: Record<string, LockEntry>): string => formatLock({ version: 1, nodes: n });

/** The same nodes on both sides but the first, as git leaves a conflict. */
function conflictText(ours: Record<string, LockEntry>, theirs: Record<string, LockEntry>): string {
  const [a, b] = [lockText(ours).split('\n'), lockText(theirs).split('\n')];
  const at = a.findIndex((line, i) => line !== b[i]);
  const end = a.findIndex((line, i) => i > at && line.startsWith('    },'));
  return [...a.slice(0, at), '<<<<<<< HEAD', ...a.slice(at, end), '=======', ...b.slice(at, end), '>>>>>>> x']
    .concat(a.slice(end))
    .join('\n');
}

interface Writer {
  readonly name: string;
  /** Lay the writer's files in `dir` (`size` entries); the file it writes and the text it holds. */
  setUp(dir: string, size: number): Promise<{ file: string; text: string }>;
  /** Make the write; the nodes the file holds after it. */
  write(dir: string, size: number): Promise<string[]>;
}

const WRITERS: readonly Writer[] = [
  {
    name: "a run's updateLock",
    async setUp(dir, size) {
      const file = join(dir, 'r.lock.json');
      await writeFile(file, lockText(nodes(size)));
      return { file, text: lockText(nodes(size)) };
    },
    async write(dir) {
      const lock = await updateLock(join(dir, 'r.lock.json'), (n) => {
        n['added'] = lockEntry(7);
      });
      return Object.keys(lock.nodes);
    },
  },
  {
    name: 'the merge of a conflicted lock (writeResolvedLock)',
    async setUp(dir, size) {
      const file = join(dir, 'r.lock.json');
      const text = conflictText(nodes(size), nodes(size, 1));
      await writeFile(file, text);
      return { file, text };
    },
    async write(dir, size) {
      const file = join(dir, 'r.lock.json');
      const merged = { ...nodes(size), added: lockEntry(7) };
      expect(await writeResolvedLock(file, await readFile(file, 'utf8'), { version: 1, nodes: merged })).toBe(true);
      return Object.keys(merged);
    },
  },
  {
    name: 'the git merge driver (mergeLockFiles, paths relative to the runtime cwd)',
    async setUp(dir, size) {
      await writeFile(join(dir, 'base'), lockText(nodes(size)));
      await writeFile(join(dir, 'theirs'), lockText({ ...nodes(size), added: lockEntry(7) }));
      await writeFile(join(dir, 'ours'), lockText(nodes(size)));
      return { file: join(dir, 'ours'), text: lockText(nodes(size)) };
    },
    async write(dir) {
      // git's paths, relative to where it runs the driver: not this process's cwd.
      const rt = createRuntime({ cwd: dir, env: {} });
      await mergeLockFiles({ base: 'base', ours: 'ours', theirs: 'theirs', cacheDir: join(dir, 'cache') }, rt);
      return Object.keys((JSON.parse(await readFile(join(dir, 'ours'), 'utf8')) as { nodes: object }).nodes);
    },
  },
];

const temps = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.tmp')).sort();

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-lock-write-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0).reverse()) {
    await run('umount', ['-l', dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

describe.each(WRITERS)('$name', (writer) => {
  it.skipIf(processTag === '')(
    "sweeps a dead writer's temp beside the file, keeps a live one's, and writes",
    async () => {
      const dir = await freshDir();
      const { file } = await writer.setUp(dir, 3);
      const [, pid, start, host] = /^p(\d+)t(\d+)(h[0-9a-f]{8})$/.exec(processTag) ?? [];
      const base = file.slice(dir.length + 1);
      // Our pid with another start time: a process before us (dead); our own tag: a write in progress.
      const dead = `.${base}.p${pid}t${Number(start) + 1}${host}_abcdef-1.tmp`;
      const live = `.${base}.${processTag}_abcdef-1.tmp`;
      await writeFile(join(dir, dead), 'half');
      await writeFile(join(dir, live), 'half');
      const written = await writer.write(dir, 3);
      expect(written.sort()).toEqual(['added', 'n0', 'n1', 'n2']);
      const onDisk = JSON.parse(await readFile(file, 'utf8')) as { nodes: object };
      expect(Object.keys(onDisk.nodes).sort()).toEqual(['added', 'n0', 'n1', 'n2']);
      expect(await temps(dir)).toEqual([live]);
    },
  );
});

/** Why a tmpfs cannot be mounted here (null: it can). */
let cannotMount: string | null = null;
beforeAll(async () => {
  const probe = await mkdtemp(join(tmpdir(), 'kontext-mount-probe-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    await run('umount', [probe]);
  } catch (e) {
    cannotMount = `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0] ?? ''})`;
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
});
afterAll(() => {
  if (cannotMount !== null) process.stderr.write(`lock-write.test.ts: full-disk tests SKIPPED: ${cannotMount}\n`);
});

/** Fill the file system of `dir` to ENOSPC, then free two pages: room for a mutex file, not for the lock. */
async function fillLeavingTwoPages(dir: string): Promise<void> {
  const path = join(dir, 'filler.bin');
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  let size = 0;
  try {
    for (;;) size += (await handle.write(chunk)).bytesWritten;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOSPC') throw e;
  } finally {
    await handle.close();
  }
  await truncate(path, Math.max(0, size - 2 * 4096));
}

describe.each(WRITERS)('$name on a full disk', (writer) => {
  it('is one error naming the file, exit 73; the file as it was, no temp left', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    const dir = await freshDir();
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', dir]);
    const size = 60; // about 24 KiB of lock: more than two pages
    const { file, text } = await writer.setUp(dir, size);
    await fillLeavingTwoPages(dir);
    const failed = await writer.write(dir, size).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failed).toMatchObject({ code: 'E_WRITE_FAILED', exitCode: 73 });
    expect((failed as Error).message).toBe(`cannot write ${file} (ENOSPC)`);
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(await temps(dir)).toEqual([]);
  });
});
