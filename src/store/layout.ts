/**
 * The on-disk layout of the cache dir. Blobs and records fan out by the first two hex chars
 * so no folder grows past a few thousand entries on a big batch.
 *
 * ```
 * <root>/blobs/ab/ab12…ef          image bytes, named by their sha256
 * <root>/records/ab/ab34….json     run record, named by its cache key
 * <root>/journal/<key>.json        submitted, not yet recorded requests (one file each)
 * <root>/tmp/                      downloads in progress (same filesystem as blobs)
 * <root>/sources/<hash>.json       source-file hash memo, one per folder of hashed files (source-hash.ts)
 * <root>/poll-times/<provider>-<hash>.json   learned completion times (src/providers/polling/)
 * <root>/used/<sha256>             stamps: this set of records was marked used (touch.ts)
 * <root>/remote-pending/<key>      uploads still due to a remote cache (src/remote/pending.ts)
 * <root>/hosted/<mode>-<fp>/<sha256>.json   what hosting put where (src/hosting/url-cache.ts)
 * ```
 */
import { join } from 'node:path';
import { StoreError } from './errors.js';

const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return HEX64.test(value);
}

/** Keys and digests become file names: anything but 64 hex chars is a bug, not a cache miss. */
export function assertHex64(value: string, what: string): void {
  if (!HEX64.test(value))
    throw new StoreError(
      'E_STORE_BAD_KEY',
      `${what} is not a sha256 hex digest: ${JSON.stringify(value.slice(0, 80))}`,
    );
}

export const layout = {
  blobs: (root: string) => join(root, 'blobs'),
  records: (root: string) => join(root, 'records'),
  journal: (root: string) => join(root, 'journal'),
  remotePending: (root: string) => join(root, 'remote-pending'),
  tmp: (root: string) => join(root, 'tmp'),
  hosted: (root: string) => join(root, 'hosted'),
  blob: (root: string, sha256: string) => join(root, 'blobs', sha256.slice(0, 2), sha256),
  record: (root: string, key: string) => join(root, 'records', key.slice(0, 2), `${key}.json`),
  journalEntry: (root: string, key: string) => join(root, 'journal', `${key}.json`),
} as const;
