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
import { type Fetch, kindMismatch, localHead, MAX_RECORD_BYTES, parseRecord } from './fetch.js';
import { blobObject, recordObject } from './location.js';

export async function peekRemote(
  bucket: RemoteBucket,
  key: string,
  store: Store,
  signal?: AbortSignal,
): Promise<Fetch> {
  const where = `${bucket.location.url} record ${key.slice(0, 12)}…`;
  const text = await bucket.read(recordObject(bucket.location, key), MAX_RECORD_BYTES, signal);
  if (text === null) return { kind: 'miss' };
  const record = parseRecord(text, key);
  if (typeof record === 'string') return { kind: 'rejected', why: `${where}: ${record}; not used` };
  const local = await localHead(store, record.output_sha256);
  if (local !== null) {
    const why = kindMismatch(local, record);
    return why === null ? { kind: 'hit', record } : { kind: 'rejected', why: `${where}: ${why}; not used` };
  }
  if (!(await bucket.exists(blobObject(bucket.location, record.output_sha256), signal)))
    return { kind: 'rejected', why: `${where}: its output blob is missing; not used` };
  return { kind: 'hit', record };
}
