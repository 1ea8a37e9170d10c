/**
 * A remote cache server whose replies never end: an S3 error is a few hundred bytes of XML,
 * but a broken proxy or a hostile server may send an endless body, fast or a byte at a time,
 * with its 4xx or 5xx status, or with a PUT's 200. None may hold the run: the reply is read up
 * to a cap and for a bounded time; a 5xx gives the remote up with one warning, a 404 is a miss,
 * a 200 to a PUT is an upload done.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { recipeYaml, summaryOf } from '../../helpers/run-fixtures.js';
import { recordKey, useWorld, warnings } from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld(
  recipeYaml([
    ['sky', 'Keep the face unchanged. Make the sky orange.', 'from: photo', 'seed: 11'],
    ['hat', 'Keep the face unchanged. Add a red hat.', 'from: photo', 'seed: 12'],
  ]),
);

/** Write `chunk` for as long as the client reads, `everyMs` apart (0: as fast as the socket takes it); bytes sent. */
function endless(res: ServerResponse, chunk: Buffer, everyMs: number): { sent: number } {
  const count = { sent: 0 };
  const more = (): void => {
    while (!res.destroyed) {
      count.sent += chunk.length;
      const room = res.write(chunk);
      if (everyMs > 0) return void setTimeout(more, everyMs);
      if (!room) return void res.once('drain', more);
    }
  };
  more();
  return count;
}

const NOT_USABLE = /is not usable \(.*\); going on without it$/;

/**
 * A reply body is read for as long as a reply's headers may take: 2 s here, not the product's
 * 5 s, which the trickles would wait out at every try (three for a 503, a blob then its record).
 */
const BOUNDS = { timeouts: { readHeadersMs: 2_000 } };

describe('a remote server whose error replies never end', () => {
  for (const [status, label, chunk, everyMs, told] of [
    [500, 'a 500 with an endless fast body', Buffer.alloc(64 * 1024, 'x'), 0, [NOT_USABLE]],
    [503, 'a 503 trickling its body a byte at a time', Buffer.from('x'), 200, [NOT_USABLE]],
    [404, 'a 404 with an endless fast body (a miss)', Buffer.alloc(64 * 1024, 'x'), 0, []],
  ] as const) {
    it(`${label}: the run goes on, sky paid again`, async () => {
      const w = world();
      await w.run(w.a);
      const sky = (await w.a.readLock()).nodes['sky'];
      if (!sky) throw new Error('no lock entry for sky');
      const sends: { sent: number }[] = [];
      const proxy = await startS3Proxy(w.s3.endpoint, {
        answer: (req, res) => {
          if (req.method !== 'GET' || !(req.url ?? '').includes(recordKey(sky.key))) return false;
          res.writeHead(status, { 'content-type': 'application/xml' });
          sends.push(endless(res, chunk, everyMs));
          return true;
        },
      });
      try {
        const started = Date.now();
        const second = await w.run(w.b, {}, w.env({}, proxy.endpoint), BOUNDS);
        expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1 });
        expect(warnings(second)).toEqual(told.map((re) => expect.stringMatching(re)));
        expect(Date.now() - started).toBeLessThan(25_000);
        // Read up to a cap, then cut off: at most what the socket buffers took beyond it.
        for (const s of sends) expect(s.sent).toBeLessThan(16 * 1024 ** 2);
      } finally {
        await proxy.close();
      }
    }, 40_000);
  }
});

describe('a remote server whose upload replies never end', () => {
  it('a 200 to each PUT trickling a body: the uploads count as done after a few seconds; the run ends', async () => {
    const w = world();
    const sends: { sent: number }[] = [];
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'PUT') return false;
        req.resume();
        res.writeHead(200, { 'content-type': 'application/xml' });
        sends.push(endless(res, Buffer.from(' '), 200));
        return true;
      },
    });
    try {
      const started = Date.now();
      const first = await w.run(w.a, {}, w.env({}, proxy.endpoint), BOUNDS);
      expect(summaryOf(first)).toMatchObject({ exitCode: 0, submitted: 2 });
      expect(warnings(first)).toEqual([]);
      expect(sends).toHaveLength(4); // two blobs, two records
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
