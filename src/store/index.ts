/**
 * The store: content-addressed cache (blobs, run records, journal, source-hash memo) and the
 * lock file. The runner uses exactly these exports.
 */
export { type CacheDirPlace, placedCacheDir, resolveCacheDir } from './cache-dir.js';
export { openStore } from './open-store.js';
export { cacheKey, recordAsksItsKey, requestHash } from './cache-key.js';
export { canonicalJson } from './canonical-json.js';
export { formatLock, LockCache, readLock, removeLockEntries, updateLock } from './lock-file.js';
export { isBlobCorrupt } from './blobs.js';
export { acquireFileMutex } from './file-mutex.js';
export { isStaleTemp } from './atomic.js';
export type { JournalEntry, LockEntry, RunRecord, Store } from './types.js';
