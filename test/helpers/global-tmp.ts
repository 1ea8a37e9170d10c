/**
 * vitest `globalSetup`: one fresh temp folder for the whole run, removed when it ends. Each test
 * fork, and every process a test starts, inherits `TMPDIR` set to it, so `os.tmpdir()` is inside it:
 * what a test (or kontext itself: a read-only cache's lasting crash journal, run/open-cache.ts)
 * leaves in the temp folder goes with the run instead of piling up in /tmp run after run (a run
 * left ~200 folders there). World-writable and sticky like /tmp: some tests run the CLI as
 * another user (nobody), who makes temp folders of its own.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function setup(): () => Promise<void> {
  const before = process.env['TMPDIR'];
  const dir = mkdtempSync(join(tmpdir(), 'kontext-suite-'));
  chmodSync(dir, 0o1777);
  process.env['TMPDIR'] = dir;
  return async () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    // A disk a test left mounted in it (busy) keeps what it must; the rest goes.
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  };
}
