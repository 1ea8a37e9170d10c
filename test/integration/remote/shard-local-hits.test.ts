/**
 * A `--shard` run's results reach the assemble run only through the remote cache, so a shard makes
 * sure the remote holds the results it took from this machine too (run-recipe.ts,
 * `RemoteCache.ensure`), not only those it paid for: a result paid before the remote was set up
 * (here: a `--no-remote` run), or one the lock and out/ prove with the cache gone. Without that,
 * the shard exits 0 and the assemble run on another machine pays for them again.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { openStore } from '../../../src/store/index.js';
import { blobKey, notices, outputsOf, overwrite, putKeys, recordKey, useWorld, warnings } from './harness.js';
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

    // Run again, the remote has them all: its record read and its blob asked for, nothing sent,
    // and no "uploading" notice.
    const before = w.s3.requests.length;
    const again = await w.run(w.a, SHARD);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(putKeys(w.s3)).toHaveLength(10);
    const asked = w.s3.requests.slice(before).map((r) => r.method);
    expect(asked.filter((m) => m === 'GET')).toHaveLength(5);
    expect(asked.filter((m) => m === 'HEAD')).toHaveLength(5);
    expect(asked).toHaveLength(10);
    expect(notices(again).filter((n) => n.includes('upload'))).toEqual([]);
  });

  it('a remote record whose blob is gone: the shard sends its own, the other machine pays 0', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a))).toMatchObject({ exitCode: 0, submitted: 5 }); // uploaded
    const lock = await w.a.readLock();
    const sha = Object.values(lock.nodes)[0]?.output_sha256 ?? '';
    await overwrite(w, blobKey(sha), null);

    expect(summaryOf(await w.run(w.a, SHARD))).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('a remote record over its size cap: refused, replaced by the shard, the other machine pays 0', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a))).toMatchObject({ exitCode: 0, submitted: 5 }); // uploaded
    const key = Object.values((await w.a.readLock()).nodes)[0]?.key ?? '';
    await overwrite(w, recordKey(key), Buffer.alloc(300 * 1024, 0x20));

    const shard = await w.run(w.a, SHARD);
    expect(summaryOf(shard)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });

  it('a local result unfit for any remote (not an image): exit 65 naming it, the rest sent', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true }))).toMatchObject({ submitted: 5 });
    const lock = await w.a.readLock();
    const [id, entry] = Object.entries(lock.nodes)[0] ?? [];
    if (!entry) throw new Error('no lock entry');
    // The cache's record now names bytes that hash right but are no image, and no out/ file proves it.
    const store = await openStore(w.a.cacheDir);
    const record = await store.getRecord(entry.key);
    if (!record) throw new Error('record missing');
    await store.putRecord({ ...record, output_sha256: await store.putBlob(Buffer.from('plain text, no image')) });
    await store.flush();
    await rm(w.a.lockPath);
    await rm(join(w.a.root, 'out'), { recursive: true });

    const shard = await w.run(w.a, SHARD);
    expect(summaryOf(shard)).toMatchObject({ exitCode: 65, submitted: 0 });
    expect(warnings(shard)).toContainEqual(expect.stringContaining(`${id}: its blob is not an image`));
    expect(warnings(shard)).toContainEqual(
      expect.stringContaining('1 result of this shard is unfit for the remote cache'),
    );
    expect(putKeys(w.s3)).toHaveLength(8); // the four others
  });

  it('a local record edited under its key (a restored CI cache): not taken, not sent; the other pays 0', async () => {
    const w = world();
    expect(summaryOf(await w.run(w.a, { noRemote: true }))).toMatchObject({ submitted: 5 });
    const before = await w.a.readLock();
    const key = Object.values(before.nodes)[0]?.key ?? '';
    const file = join(w.a.cacheDir, 'records', key.slice(0, 2), `${key}.json`);
    const edited = JSON.parse(await readFile(file, 'utf8')) as { seed: number };
    await writeFile(file, JSON.stringify({ ...edited, seed: edited.seed + 1 }));

    // walk-ai 2: the edited seed went to the lock and the record to the remote, which every reader refuses.
    const shard = await w.run(w.a, SHARD);
    expect(summaryOf(shard)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(warnings(shard)).toContainEqual(expect.stringContaining('its request fields do not hash to its key'));
    expect(await w.a.readLock()).toEqual(before);
    expect(summaryOf(await w.run(w.b))).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
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
