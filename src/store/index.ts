/**
 * The store: content-addressed cache (blobs, run records, journal, source-hash memo) and the
 * lock file. The runner uses exactly these exports.
 */
export { resolveCacheDir, type CacheDirInputs } from './cache-dir.js';
export { migrateOldStore, type MigrationResult } from './migrate.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
export { cacheKey, CACHE_KEY_VERSION, requestHash, type CacheKeyParts } from './cache-key.js';
export { canonicalJson, sortKeysDeep } from './canonical-json.js';
export {
  formatLock,
  LockCache,
  parseLock,
  readLock,
  removeLockEntries,
  updateLock,
  type UpdateLockOptions,
} from './lock-file.js';
export { withFileMutex, type FileMutexOptions } from './file-mutex.js';
export { fsyncDir, tempPathFor, writeFileAtomic, type WriteFileAtomicOptions } from './atomic.js';
export { isSha256Hex } from './layout.js';
export { CanonicalJsonError, LockBusyError, LockFileError, StoreError } from './errors.js';
export { JournalEntrySchema, LockEntrySchema, LockFileSchema, RunRecordSchema } from './schemas.js';
export type { Journal, JournalEntry, LockEntry, LockFile, RunRecord, Store } from './types.js';
