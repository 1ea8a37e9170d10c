/**
 * A process stopped or asleep while a remote blob comes in (a laptop lid closed mid-download):
 * on waking, the body's pace is judged on the time the process ran, not the wall clock. Judged on
 * the wall clock it "arrived too slowly", the remote was dropped for the run, and the result it
 * held was paid for again (walk-ac, fix29-wake's leftover). The stop is the test's own event loop
 * blocked (`Atomics.wait`), the run and the proxy in this process.
 */
import { describe, expect, it } from 'vitest';
import { recipeYaml, summaryOf } from '../../helpers/run-fixtures.js';
import { blobKey, useWorld, warnings } from './harness.js';
import { startS3Proxy } from './proxy.js';
import { stopEventLoop } from '../../helpers/stopped.js';

const world = useWorld(recipeYaml([['sky', 'Keep the face unchanged. Make the sky orange.', 'seed: 11']]));

describe('a remote blob coming in while the process is stopped', () => {
  it('is taken on waking: the stop does not count against its pace, nothing is paid', async () => {
    const w = world();
    await w.run(w.a);
    const sky = (await w.a.readLock()).nodes['sky'];
    if (!sky) throw new Error('no lock entry for sky');
    const blob = (await w.s3.readObject(blobKey(sky.output_sha256)))?.body;
    if (!blob) throw new Error('no blob in the remote');
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'GET' || !(req.url ?? '').includes(blobKey(sky.output_sha256))) return false;
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.length) });
        res.write(blob.subarray(0, 1024));
        setTimeout(() => {
          stopEventLoop(3_000);
          res.end(blob.subarray(1024));
        }, 50);
        return true;
      },
    });
    try {
      // Past a 1.5 s grace, 16 KiB/s: the 1 KiB before the stop is too little for 3 s of wall clock.
      const second = await w.run(w.b, {}, w.env({}, proxy.endpoint), { slowGraceMs: 1_500 });
      expect(warnings(second).filter((m) => !m.includes('max_change'))).toEqual([]);
      expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 1, submitted: 0 });
    } finally {
      await proxy.close();
    }
  }, 30_000);
});
