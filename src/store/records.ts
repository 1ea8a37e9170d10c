/**
 * Run records by cache key. A record is only a hit if its output blob is still there:
 * a half-deleted cache must cost a re-run, never a missing output.
 */
import { writeFileAtomic } from './atomic.js';
import { hasBlob } from './blobs.js';
import { StoreError } from './errors.js';
import { assertHex64, layout } from './layout.js';
import { readJsonOrNull } from './read-json.js';
import { RunRecordSchema } from './schemas.js';
import type { RunRecord } from './types.js';

export async function getRecord(root: string, key: string): Promise<RunRecord | null> {
  assertHex64(key, 'cache key');
  const record = await readJsonOrNull(layout.record(root, key), RunRecordSchema);
  if (record === null || record.key !== key) return null;
  return (await hasBlob(root, record.output_sha256)) ? record : null;
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
