import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PendingUploads } from '../../../src/remote/pending.js';
import type { Store } from '../../../src/store/types.js';

const KEY_A = 'a'.repeat(64);
const KEY_B = 'b'.repeat(64);
let root: string | undefined;
afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

describe('PendingUploads', () => {
  it('notes, lists and clears per remote; a notes folder removed mid-run is made again', async () => {
    root = await mkdtemp(join(tmpdir(), 'kontext-pending-'));
    const store = { root } as Store;
    const mine = new PendingUploads('s3://team/a');
    const other = new PendingUploads('s3://team/b');
    await Promise.all([mine.mark(store, KEY_A), other.mark(store, KEY_B)]);
    expect(await mine.list(store)).toEqual([{ key: KEY_A, replace: false }]);
    // The cache dir's notes deleted under the run: the next note still lands.
    await rm(join(root, 'remote-pending'), { recursive: true });
    await mine.mark(store, KEY_B);
    expect(await mine.list(store)).toEqual([{ key: KEY_B, replace: false }]);
    // A note of an upload that replaces a refused remote record says so.
    await mine.mark(store, KEY_B, true);
    expect(await mine.list(store)).toEqual([{ key: KEY_B, replace: true }]);
    await mine.clear(store, KEY_B);
    await mine.clear(store, KEY_B); // gone already: nothing
    expect(await readdir(join(root, 'remote-pending'))).toEqual([]);
  });
});
