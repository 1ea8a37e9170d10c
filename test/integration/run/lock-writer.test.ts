/**
 * The lock writer's per-entry promise resolves only once the entry is on disk: the scheduler
 * keeps a finished request's journal entry until then (the journal is where a drawn seed
 * survives a kill -9 before the lock has it).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LockWriter } from '../../../src/run/lock-writer.js';
import type { LockEntry } from '../../../src/store/types.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const entry = (n: number): LockEntry => ({
  seed: n,
  key: n.toString(16).padStart(64, '0'),
  input_sha256: 'a'.repeat(64),
  output_sha256: 'b'.repeat(64),
  output: `out/n${n}.png`,
  provider: 'emulator',
  model: 'owner/model/edit',
  request_id: `req-${n}`,
  finished_at: '2026-11-26T00:00:00.000Z',
});

it('each set() resolves after its entry is in the file, also when entries coalesce into one write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-lockwriter-'));
  dirs.push(dir);
  const path = join(dir, 'r.lock.json');
  const writer = new LockWriter(path, { pid: 1, isAlive: () => true });
  const seen: Promise<void>[] = [];
  for (let n = 1; n <= 20; n++) {
    const id = `node-${n}`;
    seen.push(
      writer.set(id, entry(n)).then(async () => {
        const lock = JSON.parse(await readFile(path, 'utf8')) as { nodes: Record<string, LockEntry> };
        expect(lock.nodes[id]?.seed).toBe(n);
      }),
    );
  }
  await Promise.all(seen);
  await writer.flush();
});

it('while entries keep coming, updates start at most every minIntervalMs; flush() writes at once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kontext-lockwriter-'));
  dirs.push(dir);
  const path = join(dir, 'r.lock.json');
  const writer = new LockWriter(path, { pid: 1, isAlive: () => true, minIntervalMs: 60_000 });
  const nodesOnDisk = async (): Promise<string[]> =>
    Object.keys((JSON.parse(await readFile(path, 'utf8')) as { nodes: object }).nodes);
  await writer.set('first', entry(1)); // the first update is immediate
  expect(await nodesOnDisk()).toEqual(['first']);
  let secondWritten = false;
  const second = writer.set('second', entry(2)).then(() => (secondWritten = true));
  await new Promise((r) => setTimeout(r, 150));
  expect(secondWritten).toBe(false); // deferred: the next update may start a minute later
  expect(await nodesOnDisk()).toEqual(['first']);
  await writer.flush();
  await second;
  expect(await nodesOnDisk()).toEqual(['first', 'second']);
});
