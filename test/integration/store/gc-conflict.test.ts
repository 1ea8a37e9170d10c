/**
 * `gcStore` and a lock git left conflicted: the records and blobs either side names are kept (a
 * run decides between the sides later, and the one it does not pick is still the user's choice).
 */
import { createHash } from 'node:crypto';
import { access, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gcStore } from '../../../src/store/gc.js';
import { formatLock, openStore, type LockEntry, type Store } from '../../../src/store/index.js';

const DAY = 86_400_000;
const now = Date.now();
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-gc-conflict-'));
  store = await openStore(join(dir, 'cache'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A 40-day-old record and blob for `name`, and the lock entry naming them. */
async function cached(name: string): Promise<{ entry: LockEntry; files: string[] }> {
  const blob = await store.putBlob(Buffer.alloc(100, name));
  const key = sha(`key:${name}`);
  const fields = { seed: 1, input_sha256: sha(`in:${name}`), output_sha256: blob, provider: 'emulator', model: 'm' };
  const finished_at = '2025-01-01T00:00:00.000Z';
  await store.putRecord({
    key,
    node: 'x',
    ...fields,
    media_type: 'image/png',
    ext: 'png',
    request_id: name,
    finished_at,
  });
  const files = [join(store.root, 'records', key.slice(0, 2), `${key}.json`), store.blobPath(blob)];
  const old = new Date(now - 40 * DAY);
  for (const f of files) await utimes(f, old, old);
  return { entry: { ...fields, key, output: 'out/x.png', request_id: name, finished_at }, files };
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

describe('gcStore: a conflicted lock', () => {
  it('keeps what either side names (records and blobs of both), removes the rest', async () => {
    const [ours, theirs, gone] = [await cached('ours'), await cached('theirs'), await cached('gone')];
    const lockFile = join(dir, 'recipe.lock.json');
    const side = (e: LockEntry): string => formatLock({ version: 1, nodes: { x: e } });
    // An add/add conflict: the whole file on each side.
    await writeFile(lockFile, `<<<<<<< HEAD\n${side(ours.entry)}=======\n${side(theirs.entry)}>>>>>>> other\n`);
    const report = await gcStore(store.root, { lockFiles: [lockFile], now: () => now, olderThanMs: 30 * DAY });
    expect(report.removed).toMatchObject({ records: 1, blobs: 1 });
    for (const f of [...ours.files, ...theirs.files]) expect(await exists(f)).toBe(true);
    for (const f of gone.files) expect(await exists(f)).toBe(false);
  });
});
