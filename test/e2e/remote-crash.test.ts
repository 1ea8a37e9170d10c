/**
 * A run with a remote cache killed (kill -9) around its uploads, then run again: the next run
 * pays nothing, and the remote ends with every result (blob and record) or without it, never a
 * record without its blob; a shard killed mid-way and run again leaves the assemble run nothing
 * to pay.
 */
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli-spawn.js';
import { useRemoteE2e } from '../helpers/remote-e2e.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a pale blue studio backdrop.
  - id: shadow
    prompt: Keep the subject and the backdrop unchanged. Add a short hard shadow.
`;
const NODES = 8; // four photos, two passes

const { env, kontext, submits, project, clone } = useRemoteE2e(YAML, 'crash');

const crashAt = (point: string, count = 1): Record<string, string> => ({
  KONTEXT_TEST_HOOKS: '1',
  KONTEXT_TEST_CRASH_AT: point,
  KONTEXT_TEST_CRASH_COUNT: String(count),
});

describe('kill -9 around a remote upload', () => {
  it('killed right after a result is recorded: the next run pays 0 and uploads it; a clone pays 0', async () => {
    const a = await project();
    const killed = await kontext(a, ['run', 'recipe.yml', '-j', '1'], crashAt('after-record', 3));
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const paidBefore = submits();
    // The next node's submit may have been on the wire at the kill (its intent journaled): sent again.
    const again = await kontext(a, ['run', 'recipe.yml', '-j', '1', '--resubmit-uncertain']);
    expect(again.code, again.stderr).toBe(0);
    // Pays only what was not recorded (the three before the kill are hits; a paid request is re-attached).
    expect(Number(/cached (\d+)/.exec(again.stderr)?.[1])).toBeGreaterThanOrEqual(3);
    expect(submits() - paidBefore).toBeLessThanOrEqual(NODES - 3);
    const b = await clone(a);
    const before = submits();
    const fresh = await cli(['run', 'recipe.yml'], { cwd: b.root, env: env(b) });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(submits() - before, fresh.stderr).toBe(0);
  }, 120_000);
});

describe('a shard killed mid-way, then run again', () => {
  it('the re-run pays only what it had not finished; the assemble run (--frozen, fresh clone) pays 0', async () => {
    const a = await project(YAML.replace('pale blue', 'pale yellow'));
    const shard = (i: number, extra?: Record<string, string>): ReturnType<typeof kontext> =>
      kontext(a, ['run', 'recipe.yml', '--shard', `${i}/2`, '-j', '1', '--resubmit-uncertain'], extra);
    const killed = await shard(1, crashAt('after-record', 2));
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const before = submits();
    const again = await shard(1);
    expect(again.code, again.stderr).toBe(0);
    expect(submits() - before).toBeLessThanOrEqual(NODES / 2 - 2);
    const other = await shard(2);
    expect(other.code, other.stderr).toBe(0);
    const b = await clone(a);
    const paid = submits();
    const assemble = await cli(['run', 'recipe.yml', '--frozen'], { cwd: b.root, env: env(b) });
    expect(assemble.code, assemble.stderr).toBe(0);
    expect(submits()).toBe(paid);
    expect(Object.keys((await b.readLock()).nodes).length).toBe(NODES);
  }, 120_000);
});

describe('the source glob changes between two shards of one commit', () => {
  it('the assemble --frozen lists exactly the instances no shard ran (exit 65); shards re-run, it pays 0', async () => {
    const a = await project(YAML.replace('pale blue', 'pale green'));
    const shard = async (i: number): Promise<string[]> => {
      const r = await kontext(a, ['run', 'recipe.yml', '--shard', `${i}/2`, '--cache-dir', join(a.root, `.c${i}`)]);
      expect(r.code, r.stderr).toBe(0);
      return [...r.stderr.matchAll(/^(?:done|cached)\s+(\S+@\S+)/gm)].map((m) => m[1] ?? '');
    };
    const first = await shard(1);
    // A photo lands between the two shards (a push while the matrix ran): the split moves.
    await copyFile(join(a.root, 'assets', 'pet-chelsea.jpg'), join(a.root, 'assets', 'aa-new.jpg'));
    const second = await shard(2);
    const all = ['aa-new', 'pet-chelsea', 'portrait-astronaut', 'product-coffee', 'scene-rocket'].flatMap((i) => [
      `backdrop@${i}`,
      `shadow@${i}`,
    ]);
    const uncovered = all.filter((id) => !first.includes(id) && !second.includes(id)).sort();
    expect(uncovered.length).toBeGreaterThan(0);

    const b = await clone(a);
    await rm(join(b.root, 'recipe.lock.json'), { force: true });
    const paid = submits();
    const red = await cli(['run', 'recipe.yml', '--frozen'], { cwd: b.root, env: env(b) });
    expect(red.code, red.stderr).toBe(65);
    expect([...red.stderr.matchAll(/^ {2}(\S+@\S+): /gm)].map((m) => m[1]).sort()).toEqual(uncovered);
    expect(submits()).toBe(paid);

    // The shards run again on this commit: they pay only the uncovered nodes, then the assemble pays 0.
    await shard(1);
    await shard(2);
    expect(submits() - paid).toBeLessThanOrEqual(uncovered.length);
    const green = await cli(['run', 'recipe.yml', '--frozen'], { cwd: b.root, env: env(b) });
    expect(green.code, green.stderr).toBe(0);
    expect(Object.keys((await b.readLock()).nodes).sort()).toEqual(all.sort());
  }, 120_000);
});
