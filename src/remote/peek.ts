/**
 * What the remote cache holds for a key, without taking it: for `kontext status`, which says
 * what a run would download but keeps nothing. The record is read and checked exactly as a run
 * checks it (fetch.ts: size cap, schema, its request fields hashing to the key asked for); its
 * blob must exist: already in the local store (its kind checked against the record, as a run
 * does), else a HEAD of its object. The blob's bytes are checked only when a run downloads them:
 * a blob replaced in the bucket by other bytes is found then (the run warns and pays).
 */
import type { Store } from '../store/types.js';
import type { RemoteBucket } from './bucket.js';
import { type Fetch, readRemoteRecord } from './fetch.js';
import { blobObject } from './location.js';

/** `askBlob`: ask the bucket for the blob even when the local store has it (remote-cache.ts `ensure`). */
export async function peekRemote(
  bucket: RemoteBucket,
  key: string,
  store: Store,
  signal?: AbortSignal,
  askBlob = false,
): Promise<Fetch> {
  const checked = await readRemoteRecord(bucket, key, store, signal);
  if (checked.kind !== 'record') return checked;
  const { record, where } = checked;
  if ((askBlob || !checked.local) && !(await bucket.exists(blobObject(bucket.location, record.output_sha256), signal)))
    return { kind: 'rejected', why: `${where}: its output blob is missing; not used` };
  return { kind: 'hit', record };
}
