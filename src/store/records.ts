/**
 * Run records by cache key. A record is only a hit if its output blob is still there:
 * a half-deleted cache must cost a re-run, never a missing output.
 */
import { writeFileAtomic } from './atomic.js';
import { StoreError } from './errors.js';
import { assertHex64, layout } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { RunRecordSchema } from './schemas.js';
import { fileInfo, touchIfStale } from './touch.js';
import type { RunRecord } from './types.js';

/** With `now`, a hit marks the record and its blob as used (`touch.ts`), which is what `kontext gc` ages by. */
export async function getRecord(root: string, key: string, now?: () => number): Promise<RunRecord | null> {
  assertHex64(key, 'cache key');
  const path = layout.record(root, key);
  const record = await readJsonOrNull(path, RunRecordSchema);
  if (record === null || record.key !== key) return null;
  assertHex64(record.output_sha256, 'blob digest');
  const blobPath = layout.blob(root, record.output_sha256);
  const [blob, own] = await Promise.all([fileInfo(blobPath), now ? fileInfo(path) : null]);
  if (blob === null) return null;
  if (now) {
    const t = now();
    await Promise.all([touchIfStale(blobPath, blob.mtimeMs, t), own ? touchIfStale(path, own.mtimeMs, t) : null]);
  }
  return record;
}

/** Write a record (after its blob): validated first, so a bug cannot poison the cache. */
export async function putRecord(root: string, record: RunRecord): Promise<void> {
  assertHex64(record.key, 'cache key');
  const parsed = RunRecordSchema.safeParse(record);
  if (!parsed.success) {
    throw new StoreError(
      'E_STORE_BAD_RECORD',
      `refusing to store an invalid run record for ${record.node}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  await writeFileAtomic(layout.record(root, record.key), `${JSON.stringify(parsed.data, null, 2)}\n`);
}
