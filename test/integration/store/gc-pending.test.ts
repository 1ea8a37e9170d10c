/**
 * `kontext gc` and the notes of uploads still due to a remote cache (`remote-pending/<key>`,
 * src/remote/pending.ts): the record a note names, and its blob, are kept whatever the limits,
 * as a lock's or the journal's are, until the upload clears the note. The whole story (a run cut
 * off from its remote, gc, the next run uploading): test/integration/remote/gc-pending-uploads.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PendingUploads } from '../../../src/remote/pending.js';
import { age, DAY, exists, gc, noDanglingRecords, put, rig, useGcRig } from './gc-rig.js';

useGcRig();

describe('gc and uploads still due', () => {
  it('keeps the records and blobs that notes name (of any remote), by age and by size', async () => {
    const due = await put('due', 100);
    const other = await put('due-elsewhere', 100);
    const plain = await put('plain', 100);
    await new PendingUploads('s3://team/a').mark(rig.store, due.key);
    await new PendingUploads('s3://team/b').mark(rig.store, other.key);
    await age(
      [due, other, plain].flatMap((e) => [e.recordPath, e.blobPath]),
      40 * DAY,
    );

    const byAge = await gc({ olderThanMs: 30 * DAY, lockFiles: [] });
    expect(byAge).toMatchObject({ pendingUploads: 2, removed: { records: 1, blobs: 1 } });
    expect(byAge.protected).toMatchObject({ records: 2, blobs: 2 });
    for (const e of [due, other]) {
      expect(await exists(e.recordPath)).toBe(true);
      expect(await exists(e.blobPath)).toBe(true);
    }
    expect(await exists(plain.recordPath)).toBe(false);

    const bySize = await gc({ maxBytes: 0, lockFiles: [] });
    expect(bySize).toMatchObject({ pendingUploads: 2, overLimit: true, removed: { records: 0, blobs: 0 } });

    // Once uploaded (the note cleared), they go like any other.
    await new PendingUploads('s3://team/a').clear(rig.store, due.key);
    const after = await gc({ olderThanMs: 30 * DAY, lockFiles: [] });
    expect(after).toMatchObject({ pendingUploads: 1, removed: { records: 1, blobs: 1 } });
    expect(await exists(due.recordPath)).toBe(false);
    await noDanglingRecords();
  });
});
