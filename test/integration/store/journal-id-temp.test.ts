/**
 * A dead run's intent read with the request id its temp holds (store/journal-id-temp.ts): only a
 * temp of the same dead writer, for the same claim, written after the intent; the newest of such.
 * An older attempt's temp (a re-host's first request, same claim) is not this intent's (review-o).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import type { JournalEntry, Store } from '../../../src/store/types.js';
import { processTag } from '../../../src/util/process-tag.js';

const KEY = 'cd'.repeat(32);
const DEAD_PID = 999_999_999;
/** This machine's tag of a process that is not alive. */
const deadTag = processTag.replace(/^p\d+t\d+/, `p${DEAD_PID}t1`);

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const intent: JournalEntry = {
  key: KEY,
  node: 'bg',
  provider: 'runcomfy',
  model: 'flux-kontext-pro',
  seed: 7,
  input_sha256: 'ef'.repeat(32),
  body_sha256: '12'.repeat(32),
  pid: DEAD_PID,
  proc: deadTag,
  run: 'run-1',
  submitted_at: '2026-12-06T12:00:00.000Z',
};

async function journalWith(temps: readonly (readonly [string, Partial<JournalEntry>])[]): Promise<Store> {
  dir = await mkdtemp(join(tmpdir(), 'kontext-id-temp-'));
  const store = await openStore(join(dir, 'cache'));
  await writeFile(join(dir, 'cache', 'journal', `${KEY}.json`), `${JSON.stringify(intent)}\n`);
  for (const [suffix, fields] of temps)
    await writeFile(
      join(dir, 'cache', 'journal', `.${KEY}.json.${suffix}.tmp`),
      `${JSON.stringify({ ...intent, ...fields })}\n`,
    );
  return store;
}

describe.skipIf(processTag === '')("a dead run's intent and the id temps beside it", () => {
  it('takes the newest id written after the intent by the same writer', async () => {
    const store = await journalWith([
      [`${deadTag}_aaaaaa-1`, { request_id: 'req-1', submitted_at: '2026-12-06T12:00:01.000Z' }],
      [`${deadTag}_aaaaaa-2`, { request_id: 'req-2', submitted_at: '2026-12-06T12:00:02.000Z' }],
    ]);
    expect((await store.journal.get(KEY))?.request_id).toBe('req-2');
  });

  it("an earlier attempt's id (written before this intent) is not this intent's", async () => {
    const store = await journalWith([
      [`${deadTag}_aaaaaa-1`, { request_id: 'req-0', submitted_at: '2026-12-06T11:59:59.000Z' }],
    ]);
    expect((await store.journal.get(KEY))?.request_id).toBeUndefined();
  });

  it("another claim's temp, or another writer's, is not used", async () => {
    const other = processTag.replace(/^p\d+t\d+/, 'p999999998t1');
    const store = await journalWith([
      [`${deadTag}_aaaaaa-1`, { request_id: 'req-1', body_sha256: '34'.repeat(32) }],
      [`${other}_aaaaaa-2`, { request_id: 'req-2', submitted_at: '2026-12-06T12:00:02.000Z' }],
    ]);
    expect((await store.journal.get(KEY))?.request_id).toBeUndefined();
  });
});
