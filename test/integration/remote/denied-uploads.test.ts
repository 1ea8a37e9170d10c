/**
 * A paid result whose upload did not happen (read-only keys, a recipe's remote used read-only, a
 * remote that was down) keeps its note in `remote-pending/` (src/remote/pending.ts) until the
 * remote has it: the next run with write access uploads it, pays nothing, and another machine
 * pays nothing either. Read-only keys are a real proxy in front of s3rver answering every PUT
 * with AccessDenied, as a bucket policy would.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { notices, putKeys, RECIPE, useWorld, type World } from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld();

async function notes(w: World): Promise<string[]> {
  return readdir(join(w.a.cacheDir, 'remote-pending')).catch(() => []);
}

/** Run `a` with every upload answered AccessDenied. */
async function readOnlyRun(w: World, options: Parameters<World['run']>[1] = {}): ReturnType<World['run']> {
  const proxy = await startS3Proxy(w.s3.endpoint, { denyWrites: true });
  try {
    return await w.run(w.a, options, w.env({}, proxy.endpoint));
  } finally {
    await proxy.close();
  }
}

describe('uploads that did not happen are kept for a run with write access', () => {
  it('read-only keys: the notes stay; the next run with write keys uploads all, and b pays 0', async () => {
    const w = world();
    const denied = await readOnlyRun(w);
    expect(summaryOf(denied)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toEqual([]);
    expect(await notes(w)).toHaveLength(5);
    expect(notices(denied)).toEqual([expect.stringContaining('the next run with write access uploads them')]);

    const resumed = await w.run(w.a);
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(notices(resumed)).toContainEqual(expect.stringContaining('uploading 5 results an earlier run left'));
    expect(putKeys(w.s3)).toHaveLength(10); // a blob and a record each
    expect(await notes(w)).toEqual([]);

    const other = await w.run(w.b);
    expect(summaryOf(other)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('a --shard run with read-only keys pays nothing, exits 77; with write keys it pays 5, uploads', async () => {
    const w = world();
    const denied = await readOnlyRun(w, { shard: { index: 1, count: 1 } });
    // Its write check, before the first request, is denied (shard-remote-lost.test.ts): nothing paid, no notes.
    const paid = summaryOf(denied).submitted;
    expect(paid).toBe(0);
    expect(summaryOf(denied).exitCode).toBe(77);
    expect(await notes(w)).toHaveLength(0);
    const again = await w.run(w.a, { shard: { index: 1, count: 1 } });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 5 - paid });
    expect(putKeys(w.s3)).toHaveLength(10);
    const other = await w.run(w.b);
    expect(summaryOf(other)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('notes an outage left survive a run with read-only keys; the run with write keys after uploads them', async () => {
    const w = world();
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'PUT') return false;
        req.resume();
        res.writeHead(503).end();
        return true;
      },
    });
    try {
      expect(summaryOf(await w.run(w.a, {}, w.env({}, proxy.endpoint)))).toMatchObject({ submitted: 5 });
    } finally {
      await proxy.close();
    }
    expect(await notes(w)).toHaveLength(5);

    // Read-only keys: the earlier run's uploads are tried, denied, and their notes stay.
    const denied = await readOnlyRun(w);
    expect(summaryOf(denied)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(await notes(w)).toHaveLength(5);

    const resumed = await w.run(w.a);
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10);
    expect(await notes(w)).toEqual([]);
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it("a recipe's remote used read-only: noted; the run with --trust-recipe-hosting uploads it, b pays 0", async () => {
    const w = world();
    const yaml = RECIPE.replace(
      'provider: emulator',
      'provider: emulator\ncache: { remote: "s3://kontext-test/team" }',
    );
    await w.a.writeRecipe(yaml);
    await w.b.writeRecipe(yaml);
    const { KONTEXT_REMOTE_CACHE: _drop, ...env } = w.env();
    // Not a shard (a shard would submit nothing: shard-remote-lost.test.ts): it pays, exit 0.
    const untrusted = await w.run(w.a, {}, env);
    expect(summaryOf(untrusted)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toEqual([]);
    expect(await notes(w)).toHaveLength(5);

    const trusted = await w.run(w.a, { shard: { index: 1, count: 1 }, trustRecipeHosting: true }, env);
    expect(summaryOf(trusted)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10);
    expect(summaryOf(await w.run(w.b, {}, env))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });
});
