/**
 * A journal entry rewritten in place on a full disk (src/store/journal.ts `rewriteInPlace`): the
 * request id is added to an intent whose temp has no room. When the longer text needs a block the
 * disk no longer has, the write comes up short: the intent must be left whole (a "maybe paid"
 * intent), never torn (an unreadable entry is taken for another's claim and later replaced, which
 * would pay twice). A real ENOSPC: a small tmpfs mounted for the test (root, or a container that
 * allows it); skipped, saying why, where it cannot be mounted.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type JournalEntry } from '../../../src/store/index.js';
import { layout } from '../../../src/store/layout.js';

const run = promisify(execFile);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
let cannotMount: string | null = null;
let dir: string | undefined;
let mounted: string | undefined;

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
afterEach(async () => {
  if (mounted !== undefined) await run('umount', ['-l', mounted]).catch(() => undefined);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  mounted = undefined;
  dir = undefined;
});

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

describe('a journal entry rewritten in place on a full disk', () => {
  it('that needs a block the disk lacks: the intent is left whole, the write fails (exit 73)', async (ctx) => {
    if (cannotMount !== null) return ctx.skip(cannotMount);
    dir = await mkdtemp(join(tmpdir(), 'kontext-journal-full-'));
    mounted = join(dir, 'cache');
    await mkdir(mounted);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', mounted]);
    const store = await openStore(mounted);
    const key = sha('key');
    const base = {
      key,
      node: 'a',
      provider: 'runcomfy',
      model: 'm',
      seed: 1,
      input_sha256: sha('in'),
      run: 'run-1',
      submitted_at: '2026-01-01T00:00:00.000Z',
    };
    // An intent just under one 4 KiB page (a lock path deep in the tree), so the entry with its
    // request id needs a second page.
    const size = (lock: string) => JSON.stringify({ ...base, lock }).length + 1;
    let lock = '/p';
    while (size(`${lock}/x`) <= 4070) lock += '/x';
    const intent: JournalEntry = { ...base, lock };
    expect((await store.journal.claim(intent)).claimed).toBe(true);
    const path = layout.journalEntry(mounted, key);
    const before = await readFile(path, 'utf8');
    expect(before.length).toBeGreaterThan(4000);
    await fill(mounted);

    const paid = { ...intent, request_id: `req-${'9'.repeat(40)}`, submitted_at: '2026-01-01T00:00:01.000Z' };
    await expect(store.journal.add(paid)).rejects.toMatchObject({ exitCode: 73 });
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await store.journal.get(key)).toEqual(intent);
  });
});
