/** Which failed submits prove the API took nothing (so the intent is cleared), and the journal's exclusive claim. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NetworkError,
  SubmitUncertainError,
  UpstreamUnavailableError,
  errorFromReplyForTest,
} from './submit-claim-fixtures.js';
import { provesNotAccepted } from '../../../src/run/submit-claim.js';
import { openStore } from '../../../src/store/index.js';
import { anIntent } from '../../helpers/journal-files.js';

describe('provesNotAccepted', () => {
  it('an error reply (4xx, 429, 408, a JSON 503, a 4xx error_code) or no connection proves nothing taken', () => {
    for (const status of [400, 401, 403, 404, 408, 422, 429])
      expect(provesNotAccepted(errorFromReplyForTest(status)), String(status)).toBe(true);
    // A 503 in the service's own JSON (BFL's and fal's documented refusal).
    expect(provesNotAccepted(new UpstreamUnavailableError('x', { status: 503, jsonReply: true }))).toBe(true);
    expect(provesNotAccepted(errorFromReplyForTest(200, 400002))).toBe(true);
    for (const netCode of ['ECONNREFUSED', 'ENOTFOUND', 'UND_ERR_CONNECT_TIMEOUT'])
      expect(provesNotAccepted(new NetworkError('x', { netCode })), netCode).toBe(true);
  });

  it('anything that may have reached the service stays uncertain', () => {
    for (const status of [500, 502, 504])
      expect(provesNotAccepted(errorFromReplyForTest(status)), String(status)).toBe(false);
    // A 503 page or empty body: a proxy in front may send it after the service took the request.
    expect(provesNotAccepted(new UpstreamUnavailableError('x', { status: 503 }))).toBe(false);
    expect(provesNotAccepted(new SubmitUncertainError('reset after send', { status: 200 }))).toBe(false);
    expect(provesNotAccepted(new NetworkError('x', { netCode: 'ECONNRESET' }))).toBe(false);
    expect(provesNotAccepted(new Error('aborted'))).toBe(false);
  });
});

describe('journal claim', () => {
  it('is exclusive: the second claim of a key sees the first intent; an id replaces it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kontext-claim-'));
    try {
      const { journal } = await openStore(root);
      const key = 'a'.repeat(64);
      const intent = anIntent(key, 'r1');
      const [x, y] = await Promise.all([journal.claim(intent), journal.claim({ ...intent, run: 'r2' })]);
      expect([x.claimed, y.claimed].sort()).toEqual([false, true]);
      const winner = (await journal.get(key))?.run;
      await journal.remove(key, null, winner === 'r1' ? 'r2' : 'r1'); // not that run's intent: kept
      expect(await journal.get(key)).not.toBeNull();
      await journal.add({ ...intent, run: winner, request_id: 'req-1' });
      await journal.remove(key, null, winner); // no longer an intent: kept
      expect((await journal.get(key))?.request_id).toBe('req-1');
      await journal.remove(key, 'req-1');
      expect(await journal.get(key)).toBeNull();
      expect((await journal.list()).length).toBe(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
