/**
 * A waiter for a held file mutex (src/store/file-mutex.ts) tries to create the `.lck` once, then
 * only reads it until it is gone: it writes no temp per poll. Since the `.lck` became a link to a
 * temp written first, every poll wrote, linked and removed a temp in the project folder: a run
 * waiting hours behind a `--watch` churned it about ten times a second (review-d). Watched with
 * fs.watch on the folder.
 */
import { watch } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireFileMutex } from '../../../src/store/file-mutex.js';

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

describe('a waiter for a held file mutex', () => {
  it('writes one temp (its first try), not one per poll, until it gives up', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-mutex-wait-'));
    const file = join(dir, 'r.lock.json');
    const live = { pid: process.pid, isAlive: () => true };
    const release = await acquireFileMutex(file, live);
    const temps = new Set<string>();
    const watcher = watch(dir, (_event, name) => {
      if (name?.endsWith('.tmp')) temps.add(name);
    });
    try {
      await expect(acquireFileMutex(file, { ...live, timeoutMs: 600 })).rejects.toThrow(/gave up waiting/);
    } finally {
      watcher.close();
      await release();
    }
    expect(temps.size).toBeLessThanOrEqual(1);
  });
  it('a .lck that is a link to nothing: refused at once, even by a waiter with no timeout (walk-p)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'kontext-mutex-wait-'));
    const file = join(dir, 'r.lock.json');
    await symlink(join(dir, 'nowhere'), `${file}.lck`);
    const temps = new Set<string>();
    const watcher = watch(dir, (_event, name) => {
      if (name?.endsWith('.tmp')) temps.add(name);
    });
    try {
      // The run lock's own wait: no timeout (run-lock.ts), only the caller's signal would end it.
      const waiter = { pid: process.pid, timeoutMs: Number.MAX_SAFE_INTEGER, signal: AbortSignal.timeout(20_000) };
      await expect(acquireFileMutex(file, waiter)).rejects.toThrow(/cannot be read \(a link to nothing\?\)/);
    } finally {
      watcher.close();
    }
    expect(temps.size).toBeLessThanOrEqual(20); // a few tries, not a spin
  });
});
