/**
 * `kontext gc` between a run cut off from its remote cache and the next run with it: the results
 * paid for and not yet uploaded (noted in `remote-pending/`, src/remote/pending.ts) keep their
 * records and blobs through gc (src/store/gc-roots.ts), so the next run uploads them and another
 * machine pays nothing. gc here reads no lock of the project (run with `--project` elsewhere, or
 * the checkout deleted), and every entry is 40 days old.
 */
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcStore } from '../../../src/store/gc.js';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { notices, useWorld } from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld();
const DAY = 86_400_000;

/** Make every record and blob under `cacheDir` last used `ms` ago. */
async function ageCache(cacheDir: string, ms: number): Promise<void> {
  const t = (Date.now() - ms) / 1000;
  for (const sub of ['records', 'blobs']) {
    const entries = await readdir(join(cacheDir, sub), { recursive: true, withFileTypes: true });
    for (const d of entries) if (d.isFile()) await utimes(join(d.parentPath, d.name), t, t);
  }
}

describe('gc and uploads still due to the remote cache', () => {
  it('keeps what a cut-off run did not upload; the next run uploads it, and another machine pays 0', async () => {
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
      const cut = await w.run(w.a, {}, w.env({}, proxy.endpoint));
      expect(summaryOf(cut)).toMatchObject({ exitCode: 0, submitted: 5 });
    } finally {
      await proxy.close();
    }
    expect(await readdir(join(w.a.cacheDir, 'remote-pending'))).toHaveLength(5);

    await ageCache(w.a.cacheDir, 40 * DAY);
    const gc = await gcStore(w.a.cacheDir, { olderThanMs: 30 * DAY, lockFiles: [], now: () => Date.now() });
    expect(gc).toMatchObject({ pendingUploads: 5, removed: { records: 0, blobs: 0 } });

    const resumed = await w.run(w.a);
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(notices(resumed)).toContainEqual(expect.stringContaining('uploading 5 results an earlier run left'));
    expect(await readdir(join(w.a.cacheDir, 'remote-pending'))).toEqual([]);

    const other = await w.run(w.b);
    expect(summaryOf(other)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
  });
});
