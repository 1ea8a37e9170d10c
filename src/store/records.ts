/**
 * Run records by cache key. A record is only a hit if its output blob is still there:
 * a half-deleted cache must cost a re-run, never a missing output.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './atomic.js';
import { recordAsksItsKey } from './cache-key.js';
import { checkBlob, type BlobCorruptError } from './blobs.js';
import { isCode } from './errno.js';
import { StoreError } from './errors.js';
import { assertHex64, layout } from './layout.js';
import { readJsonEntry } from './read-json.js';
import { parseRunRecord } from './record-parse.js';
import { RunRecordSchema } from './schemas.js';
import { claimPathOf, takeBackClaim } from './gc-claim.js';
import { touchIfStale } from './touch.js';
import { refusedRead } from '../util/read-failure.js';
import type { RunRecord } from './types.js';

/** How getRecord checks the output blob (blobs.ts `checkBlob`): the memoised hasher, who hears of a drop. */
export interface BlobCheck {
  readonly hash: (path: string) => Promise<{ readonly sha256: string }>;
  readonly onDropped?: ((error: BlobCorruptError) => void) | undefined;
  /** A record or blob this process may not read (EACCES, EPERM: a restored cache with another owner): a miss. */
  readonly onUnreadable?: ((path: string, error: unknown) => void) | undefined;
  /** With `now`, a hit marks the record as used (`touch.ts`), which is what `kontext gc` ages by. */
  readonly now?: (() => number) | undefined;
  /** A record whose request does not hash to its key (cache-key.ts `recordAsksItsKey`): a miss. */
  readonly onMismatch?: ((path: string) => void) | undefined;
}

export async function getRecord(root: string, key: string, check: BlobCheck): Promise<RunRecord | null> {
  assertHex64(key, 'cache key');
  const path = layout.record(root, key);
  for (let waited = 0; ; waited += CLAIM_POLL_MS) {
    const found = await readRecord(root, path, key, check);
    if (found !== 'claimed') return found;
    // `kontext gc` has this record aside (gc.ts): it puts it back when a hit marked it meanwhile,
    // else removes it. Wait for its decision, briefly: a miss here would pay for a result that stays.
    // Still undecided after that: a killed gc's claim, taken back (gc-claim.ts), or gone: a miss.
    if (waited >= CLAIM_WAIT_MS)
      return (await takeBackClaim(path)) ? readRecord(root, path, key, check).then(settled) : null;
    await sleep(CLAIM_POLL_MS);
  }
}

/** A record claimed again right after it was taken back: another gc's; a miss rather than a wait. */
function settled(found: RunRecord | null | 'claimed'): RunRecord | null {
  return found === 'claimed' ? null : found;
}

/** gc decides on a claimed record within microseconds; a claim older than this is a dead gc's. */
const CLAIM_WAIT_MS = 1000;
const CLAIM_POLL_MS = 10;

/** The record, a miss, or `claimed`: gone, with gc's claim of it there. */
async function readRecord(
  root: string,
  path: string,
  key: string,
  check: BlobCheck,
): Promise<RunRecord | null | 'claimed'> {
  let entry: Awaited<ReturnType<typeof readJsonEntry<RunRecord>>>;
  try {
    entry = await readJsonEntry(path, parseRunRecord);
  } catch (e) {
    if (!isCode(e, 'EACCES', 'EPERM')) throw e;
    check.onUnreadable?.(path, e);
    return null;
  }
  if (entry === null) return existsSync(claimPathOf(path)) ? 'claimed' : null;
  if (entry.value.key !== key) return null;
  if (!recordAsksItsKey(entry.value)) {
    check.onMismatch?.(path);
    return null;
  }
  const record = entry.value;
  // Marked used before its blob is looked at (touch.ts): `kontext gc` re-checks a record's mtime
  // after claiming it and keeps it when a hit moved it, so the blob a hit goes on to read stays.
  // Gone by now: gc claimed it first, and removes its blob next (`claimed`, or a miss).
  // Only the record is marked used: gc keeps a blob while any record needs it, so the blob's
  // own mtime need not move — and must not, since the hash memo keys on it (a bumped blob
  // would be re-read and re-hashed by the next run). The mtime is the one read with the record.
  if (check.now && !touchIfStale(path, entry.mtimeMs, check.now()))
    return existsSync(claimPathOf(path)) ? 'claimed' : null;
  if (!(await checkBlob(root, record.output_sha256, check.hash, check.onDropped, check.onUnreadable))) return null;
  return record;
}

/**
 * The record for `key` in a cache dir this process cannot write (run/open-cache.ts): read, its
 * key and its blob's sha256 checked (by `hash`), nothing marked used or removed. A missing,
 * unreadable or damaged record or blob is a miss.
 */
export async function readRecordReadOnly(
  root: string,
  key: string,
  hash: (path: string) => Promise<{ readonly sha256: string }>,
  onUnreadable?: (path: string, error: unknown) => void,
): Promise<RunRecord | null> {
  assertHex64(key, 'cache key');
  // Anything wrong is a miss; a file this process may not read is also said (once, by the caller).
  const miss = (path: string) => (e: unknown) => {
    const refused = refusedRead(e);
    if (refused !== null) onUnreadable?.(path, refused);
    return null;
  };
  const recordPath = layout.record(root, key);
  const entry = await readJsonEntry(recordPath, parseRunRecord).catch(miss(recordPath));
  if (entry === null || entry.value.key !== key || !recordAsksItsKey(entry.value)) return null;
  const blobPath = layout.blob(root, entry.value.output_sha256);
  const blob = await hash(blobPath).catch(miss(blobPath));
  return blob?.sha256 === entry.value.output_sha256 ? entry.value : null;
}

interface PutRecordOptions {
  /** Adopted from the lock or a remote: neither fsynced nor its folder (see run/adopt.ts). */
  readonly rebuildable?: boolean;
  /** A rebuildable one written in async calls, off the event loop (atomic.ts `blocking`): mid-run. */
  readonly blocking?: boolean;
}

/**
 * Write a record (after its blob): validated first, so a bug cannot poison the cache. Durable:
 * the file is fsynced, and its new name (its folder) before the journal entry of its request is
 * removed (dir-sync.ts `markDirty`). A `rebuildable` record (adopted from the lock) is neither:
 * see run/adopt.ts.
 */
export async function putRecord(root: string, record: RunRecord, options: PutRecordOptions = {}): Promise<void> {
  assertHex64(record.key, 'cache key');
  // The zod-free check first (record-parse.ts: the same answer; 10,000 adopted records come at once).
  const checked = parseRunRecord(record);
  if (checked === null) {
    const issue = RunRecordSchema.safeParse(record).error?.issues[0]?.message;
    throw new StoreError(
      'E_STORE_BAD_RECORD',
      `refusing to store an invalid run record for ${record.node}: ${issue ?? 'invalid'}`,
    );
  }
  const text = `${JSON.stringify(checked, null, 2)}\n`;
  const durable = options.rebuildable !== true;
  await writeFileAtomic(layout.record(root, record.key), text, {
    sync: durable,
    durable: durable && 'deferred',
    ...(options.blocking === false ? { blocking: false } : {}),
  });
}
