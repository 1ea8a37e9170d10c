/**
 * `otherLockOutputs` (src/run/shared-outputs.ts): the outputs the other lock files of a
 * recipe's project name, beside its own or in other folders. Both sides of a lock git left
 * conflicted count (before, such a lock named nothing, and `kontext clean` of the other recipe
 * could remove the files it holds); a stray lock (its recipe gone) counts for clean (`all`) but
 * not for a run's warning (`owned`).
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { otherLockOutputs } from '../../../src/run/shared-outputs.js';
import { formatLock } from '../../../src/store/lock-file.js';
import type { LockEntry } from '../../../src/store/types.js';

let dir: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'kontext-shared-outputs-')));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const entry = (output: string, seed = 1): LockEntry => ({
  seed,
  key: 'a'.repeat(64),
  input_sha256: 'b'.repeat(64),
  output_sha256: 'c'.repeat(64),
  output,
  provider: 'emulator',
  model: 'm',
  request_id: `r${seed}`,
  finished_at: '2025-01-01T00:00:00.000Z',
});

describe('otherLockOutputs', () => {
  it("another recipe's conflicted lock: both sides' outputs; a stray lock only for 'all'", async () => {
    const own = join(dir, 'r.lock.json');
    await writeFile(join(dir, 'r.yml'), 'version: 1\n');
    await writeFile(own, formatLock({ version: 1, nodes: { mine: entry('out/t/mine/p.png') } }));
    await writeFile(join(dir, 'b.yml'), 'version: 1\n');
    const ours = formatLock({ version: 1, nodes: { sky: entry('out/t/sky/p.png') } });
    const theirs = formatLock({ version: 1, nodes: { snow: entry('out/t/snow/p.png', 2) } });
    await writeFile(join(dir, 'b.lock.json'), `<<<<<<< HEAD\n${ours}=======\n${theirs}>>>>>>> branch\n`);
    await writeFile(join(dir, 'gone.lock.json'), formatLock({ version: 1, nodes: { old: entry('out/t/old/p.png') } }));

    const at = { lockPath: own, projectRoot: dir };
    const owned = await otherLockOutputs(at, 'owned');
    expect(Object.fromEntries(owned)).toEqual({
      [join(dir, 'out/t/sky/p.png')]: join(dir, 'b.lock.json'),
      [join(dir, 'out/t/snow/p.png')]: join(dir, 'b.lock.json'),
    });
    // A folder with a lock's stem is no recipe: that lock is a stray too.
    await mkdir(join(dir, 'gone'));
    expect((await otherLockOutputs(at, 'owned')).has(join(dir, 'out/t/old/p.png'))).toBe(false);
    const all = await otherLockOutputs(at, 'all');
    expect([...all.keys()].sort()).toEqual(
      ['out/t/old/p.png', 'out/t/sky/p.png', 'out/t/snow/p.png'].map((p) => join(dir, p)),
    );
  });
});
