/**
 * A claim meeting an entry it cannot read. On a disk without hard links (exFAT, many network
 * shares) another run's claim creates the entry, then writes it: a claim that took the empty
 * entry for a torn one after ~60 ms and wrote its own over it let both runs submit (paid twice)
 * when that write was slow. An unreadable entry is now another's claim until it is 10 s old;
 * an old one (torn by a crash) is still replaced.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { layout } from '../../../src/store/layout.js';
import { openStore, type JournalEntry, type Store } from '../../../src/store/index.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-journal-unreadable-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const intent = (run: string, seed: number): JournalEntry => ({
  key: sha('the key'),
  node: 'a',
  provider: 'runcomfy',
  model: 'm',
  seed,
  input_sha256: sha('in'),
  run,
  submitted_at: '2026-01-01T00:00:00.000Z',
});

describe('a claim meeting an unreadable journal entry', () => {
  it("an empty one just made is another run's claim being written: it is waited for, not replaced", async () => {
    const path = layout.journalEntry(store.root, intent('other', 1).key);
    await store.journal.add(intent('seed', 0)); // the folder
    await writeFile(path, ''); // the other run's entry, created, its text not landed yet
    const claim = store.journal.claim(intent('ours', 2));
    // Its write lands 400 ms later (a slow disk): before, the claim had replaced the entry by then.
    await new Promise((r) => setTimeout(r, 400));
    await writeFile(path, `${JSON.stringify(intent('other', 1))}\n`);
    const got = await claim;
    expect(got.claimed).toBe(false);
    expect(!got.claimed && got.holder).toMatchObject({ run: 'other', seed: 1 });
  });

  it('an old unreadable one (torn by a crash) is replaced', async () => {
    const path = layout.journalEntry(store.root, intent('other', 1).key);
    await store.journal.add(intent('seed', 0));
    await writeFile(path, '{"key": "torn');
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const got = await store.journal.claim(intent('ours', 2));
    expect(got.claimed).toBe(true);
    expect(await store.journal.get(intent('ours', 2).key)).toMatchObject({ run: 'ours', seed: 2 });
  });
});
