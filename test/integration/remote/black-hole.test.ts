/**
 * A remote cache endpoint that accepts connections and never answers (a black-holed S3, a
 * firewall that swallows the reply) costs two reply-header timeouts per call, not undici's
 * 60 s three times over; then the remote is off for the run, with one warning, and the run goes
 * on. Against a local TCP server on 127.0.0.1 that reads and never writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openS3Http } from '../../../src/remote/s3-http.js';
import { type BlackHole, startBlackHole } from '../../helpers/black-hole.js';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { useWorld, warnings } from './harness.js';

let hole: BlackHole | undefined;
afterEach(async () => {
  await hole?.close();
  hole = undefined;
});

const world = useWorld();

describe('a remote cache endpoint that never answers', () => {
  it('each call gives up after two reply-header timeouts', async () => {
    hole = await startBlackHole();
    const http = openS3Http(
      {
        endpoint: hole.endpoint,
        region: 'us-east-1',
        bucket: 'b',
        forcePathStyle: true,
        credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' }),
      },
      { connectMs: 1_000, readHeadersMs: 150, writeHeadersMs: 150, bodyMs: 1_000 },
    );
    try {
      await expect(http.get('k')).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(hole.requests()).toBe(2);
      await expect(http.head('k')).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(hole.requests()).toBe(4);
      await expect(http.put('k', Buffer.from('x'), {})).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      expect(hole.requests()).toBe(6);
    } finally {
      await http.close();
    }
  });

  it('a run (default timeouts) goes on without it, with one warning, after a few seconds', async () => {
    const w = world();
    hole = await startBlackHole();
    const run = await w.run(w.a, {}, w.env({}, hole.endpoint));
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    expect(warnings(run)).toEqual([expect.stringMatching(/is not usable \(.*Timeout.*\); going on without it$/)]);
    // The look-ups in flight when the first failed (at most the five nodes'), two attempts each.
    expect(hole.requests()).toBeGreaterThanOrEqual(2);
    expect(hole.requests()).toBeLessThanOrEqual(10);
  }, 40_000);
});
