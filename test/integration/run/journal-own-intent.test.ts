/**
 * A request whose id never reached the journal entry as planned. Both writes of the id failed (out
 * of file descriptors, a full disk): the claim's intent, with no id, is this run's own, and once
 * the run has recorded and locked the request it goes (left, a later `--force` of the node
 * stopped as maybe paid). And the id's write that failed after its rename (the entry holds the id)
 * of a request that then failed: its entry goes too, not only an intent without the id.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requestIdWrite } from '../../../src/run/execute-journal.js';
import { dropFinishedEntry } from '../../../src/run/journal-settled.js';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry, Store } from '../../../src/store/types.js';

const KEY = 'ab'.repeat(32);
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function storeWith(entry: Partial<JournalEntry>): Promise<Store> {
  dir = await mkdtemp(join(tmpdir(), 'kontext-own-intent-'));
  const store = await openStore(join(dir, 'cache'));
  await store.journal.add({
    key: KEY,
    node: 'bg',
    provider: 'runcomfy',
    model: 'flux-kontext-pro',
    seed: 7,
    input_sha256: 'cd'.repeat(32),
    pid: process.pid,
    submitted_at: '2026-12-06T12:00:00.000Z',
    ...entry,
  });
  return store;
}

const self = (run: string) => ({ pid: process.pid, isAlive: () => true, run });

describe("a run's own journal entry for a request it finished", () => {
  it('its intent without the id (both id writes failed) goes once the request is recorded', async () => {
    const store = await storeWith({ run: 'run-1' });
    await dropFinishedEntry(store, KEY, 'req-1', self('run-1'), true);
    expect(await store.journal.get(KEY)).toBeNull();
  });

  it("a cache hit's drop leaves this run's intent for the key: another node's new submit (review-o)", async () => {
    // A forced node of the key claimed anew and is submitting; a node taking the old request's record drops by id.
    const store = await storeWith({ run: 'run-1' });
    await dropFinishedEntry(store, KEY, 'req-0', self('run-1'));
    expect(await store.journal.get(KEY)).toMatchObject({ run: 'run-1' });
  });

  it("another run's intent (a dead run's maybe paid) stays", async () => {
    const store = await storeWith({ run: 'run-0', pid: 999_999_999 });
    await dropFinishedEntry(store, KEY, 'req-1', self('run-1'), true);
    expect(await store.journal.get(KEY)).toMatchObject({ run: 'run-0' });
    expect((await store.journal.get(KEY))?.request_id).toBeUndefined();
  });

  it('a failed request whose id write failed after its rename: its entry, holding the id, goes', async () => {
    const store = await storeWith({ run: 'run-1', request_id: 'req-1' });
    const entry = (await store.journal.get(KEY)) as JournalEntry;
    const fresh = { journaled: Promise.reject(new Error('EMFILE after the rename')), submittedAt: 0, entry };
    const deps = { store, intents: { run: 'run-1' } } as unknown as Parameters<typeof requestIdWrite>[2];
    const job = { key: KEY } as unknown as Parameters<typeof requestIdWrite>[0];
    const id = requestIdWrite(job, 'req-1', deps, fresh);
    await id.written;
    await id.drop();
    expect(await store.journal.get(KEY)).toBeNull();
  });
});
