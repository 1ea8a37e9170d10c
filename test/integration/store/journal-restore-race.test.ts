/**
 * The journal's `restore` (run/journal-watch.ts calls it once a second during a run) must take
 * for deleted only the entries that were on disk before its listing began. A claim or an add
 * that lands while the folder is being listed is not missing: counting it warned, in a busy
 * run's log, that the cache dir "was deleted during the run" when nothing was, and wrote the
 * entry again over the run's own newer write.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate } from 'node:timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type JournalEntry, type Store } from '../../../src/store/index.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-journal-race-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const intent = (i: number): JournalEntry => ({
  key: sha(`k${i}`),
  node: `n${i}`,
  provider: 'runcomfy',
  model: 'm',
  seed: i,
  input_sha256: sha('in'),
  run: 'r1',
  submitted_at: '2026-01-01T00:00:00.000Z',
});

describe('journal restore beside claims and adds', () => {
  it('finds nothing missing while entries are claimed, completed and removed under it', async () => {
    store.journal.expectClaims();
    await new Promise((r) => setTimeout(r, 300)); // the claim thread is up
    // One entry the whole time, so every restore lists the folder.
    const kept = { ...intent(1000), request_id: 'req-kept' };
    await store.journal.add(kept);
    // Files restore ignores, so each listing takes a while (as when the thread pool is busy
    // with a run's fsyncs): claims land during it.
    for (let i = 0; i < 5_000; i++) writeFileSync(join(store.root, 'journal', `other-${i}.txt`), '');
    let stop = false;
    let restored = 0;
    const watcher = (async () => {
      while (!stop) {
        restored += await store.journal.restore();
        await new Promise((r) => setImmediate(r));
      }
    })();
    // Eight -j slots, each claiming, journaling the request id, then removing the entry.
    const slots = Promise.all(
      Array.from({ length: 8 }, async (_, slot) => {
        for (let i = slot; i < 240; i += 8) {
          const e = intent(i);
          expect(await store.journal.claim(e)).toEqual({ claimed: true });
          const sent = { ...e, request_id: `req-${i}` };
          await store.journal.add(sent);
          expect(await store.journal.get(e.key)).toEqual(sent);
          await store.journal.remove(e.key, sent.request_id);
        }
      }),
    );
    await slots.finally(() => {
      stop = true;
    });
    await watcher;
    expect(restored).toBe(0);
    expect(await store.journal.list()).toEqual([kept]);
  }, 60_000);
});
