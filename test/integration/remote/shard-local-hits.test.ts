/**
 * A `--shard` run's results reach the assemble run only through the remote cache, so a shard makes
 * sure the remote holds the results it took from this machine too (run-recipe.ts,
 * `RemoteCache.ensure`), not only those it paid for: a result paid before the remote was set up
 * (here: a `--no-remote` run), or one the lock and out/ prove with the cache gone. Without that,
 * the shard exits 0 and the assemble run on another machine pays for them again.
 */
import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { outputsOf, putKeys, useWorld, warnings } from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld();
const SHARD = { shard: { index: 1, count: 1 } };

describe('a shard uploads the local hits the remote lacks', () => {
  it('results paid with --no-remote: the shard uploads them, the other machine pays 0', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true }))).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(putKeys(w.s3)).toEqual([]);

    const shard = await w.run(w.a, SHARD);
    expect(summaryOf(shard)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10); // a blob and a record each

    const other = await w.run(w.b);
    expect(summaryOf(other)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(await outputsOf(w.b)).toEqual(await outputsOf(w.a));

    // Run again, the remote has them all: a HEAD each, nothing sent.
    const again = await w.run(w.a, SHARD);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10);
  });

  it('the cache gone, the lock and out/ proving the results: adopted and uploaded', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true }))).toMatchObject({ submitted: 5 });
    await rm(w.a.cacheDir, { recursive: true, force: true });

    expect(summaryOf(await w.run(w.a, SHARD))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10);
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('uploads refused: the shard exits 75 naming the count; again with the remote back: uploaded, exit 0', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true }))).toMatchObject({ submitted: 5 });
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'PUT') return false;
        req.resume();
        res.writeHead(503).end();
        return true;
      },
    });
    let down: Awaited<ReturnType<typeof w.run>>;
    try {
      down = await w.run(w.a, SHARD, w.env({}, proxy.endpoint));
    } finally {
      await proxy.close();
    }
    expect(summaryOf(down)).toMatchObject({ exitCode: 75, submitted: 0 });
    expect(warnings(down)).toContainEqual(
      expect.stringContaining('5 results of this shard are not in the remote cache'),
    );
    expect(putKeys(w.s3)).toEqual([]);

    expect(summaryOf(await w.run(w.a, SHARD))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });
});
