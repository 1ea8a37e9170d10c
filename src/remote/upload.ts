/**
 * Send one paid result to the remote cache: the blob, then its record, so a record never
 * names a blob that is not there. Both are content-addressed and idempotent (HEAD before PUT;
 * an existing record is not replaced: the first writer wins, unless this run refused it). What leaves the machine is
 * checked here: the blob is read once, hashed against its name and must be an image; the
 * record is rebuilt from the allow-list of its fields (remote-record.ts: no provider output URL,
 * which may carry a signature, and nothing else a later field might add, such as a local path).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { readBounded } from '../util/read-bounded.js';
import type { RunRecord, Store } from '../store/types.js';
import { recordAsksItsKey } from '../store/index.js';
import { sniffImage } from '../util/image-sniff.js';
import type { RemoteBucket } from './bucket.js';
import { blobObject, MAX_BLOB_BYTES, recordObject } from './location.js';
import { remoteRecordOf } from './remote-record.js';

/**
 * Upload `record` and its blob; `false` when there was nothing fit to upload (said by `why`).
 * `replace`: the remote's record of this key was refused by this run (its blob missing, not a
 * whole image, not matching it): both objects are written without a HEAD, so the remote is put
 * right rather than left to cost every other machine the request.
 */
export async function uploadResult(
  bucket: RemoteBucket,
  record: RunRecord,
  store: Store,
  options: {
    readonly replace?: boolean;
    /** The caller has just found no record there (push): no HEAD of it again. */
    readonly recordAbsent?: boolean;
    readonly signal?: AbortSignal | undefined;
  } = {},
): Promise<{ readonly sent: boolean; readonly why?: string }> {
  const { replace = false, recordAbsent = false, signal } = options;
  const shaped = remoteRecordOf(record);
  if (shaped === null) return { sent: false, why: 'its record has no prompt or params' };
  // Every reader refuses such a record (fetch.ts): never send one (walk-ai 2).
  if (!recordAsksItsKey(shaped)) return { sent: false, why: 'its request fields do not hash to its key' };
  const { location } = bucket;
  const recordKey = recordObject(location, record.key);
  if (!replace && !recordAbsent && (await bucket.exists(recordKey, signal))) return { sent: false };
  const blobKey = blobObject(location, record.output_sha256);
  const blobPath = store.blobPath(record.output_sha256);
  // Its size too: a blob a killed upload left cut short is sent again, not taken for there.
  const sizeOf = (): Promise<number | undefined> =>
    stat(blobPath).then(
      (s) => s.size,
      () => undefined,
    );
  if (replace || !(await bucket.exists(blobKey, signal, await sizeOf()))) {
    const bytes = await readBounded(blobPath, MAX_BLOB_BYTES);
    if (createHash('sha256').update(bytes).digest('hex') !== record.output_sha256)
      return { sent: false, why: 'its local blob does not match its name' };
    if (sniffImage(bytes.subarray(0, 64)) === null) return { sent: false, why: 'its blob is not an image' };
    await bucket.write(blobKey, bytes, record.media_type, signal);
  }
  await bucket.write(recordKey, Buffer.from(`${JSON.stringify(shaped, null, 2)}\n`), 'application/json', signal);
  return { sent: true };
}
