/**
 * Take one result from the remote cache into the local store. A remote record is untrusted
 * input: it is read with a size cap, parsed with the local records' schema, and used only when
 * its request fields (provider, model, prompt, input, params, seed) hash to the very cache key
 * asked for — so a record can only ever answer the request it claims to answer. Its blob must
 * hash to the record's `output_sha256` and be a whole image of the record's kind; a mismatch is
 * a miss, reported, and nothing of it is kept. Of a used record, only the fields an upload of
 * ours writes are kept (remote-record.ts: no output URL, no change review, no price).
 */
import { type FileHandle, open, rm } from 'node:fs/promises';
import { checkInputImage } from '../hosting/image-check.js';
import { cacheKey } from '../store/index.js';
import { RunRecordSchema } from '../store/schemas.js';
import type { RunRecord, Store } from '../store/types.js';
import { bufferReader, type ClosableReader, fileReader, probeImage } from '../util/image-probe.js';
import { extensionOfKind, sniffImage } from '../util/image-sniff.js';
import type { RemoteBucket } from './bucket.js';
import { blobObject, MAX_BLOB_BYTES, recordObject } from './location.js';
import { remoteRecordOf } from './remote-record.js';

/** A record is a few hundred bytes; a prompt and params leave room to spare. */
const MAX_RECORD_BYTES = 256 * 1024;

export type Fetch =
  | { readonly kind: 'hit'; readonly record: RunRecord }
  | { readonly kind: 'miss' }
  /** Something there, but not usable: `why` says what (a warning). */
  | { readonly kind: 'rejected'; readonly why: string };

/** A remote record read and checked (`readRemoteRecord`), and whether its blob is already here. */
interface CheckedRecord {
  readonly kind: 'record';
  readonly record: RunRecord;
  /** The output blob is in the local store, of the record's kind: no blob to fetch. */
  readonly local: boolean;
  /** How a warning names it. */
  readonly where: string;
}

/**
 * The record of `key` read and checked exactly as a run checks it (size cap, schema, its
 * request fields hashing to `key`), and whether the local store already holds its output; a
 * miss, or why it is not used. For fetchRemote (a run) and peek.ts (`kontext status`).
 */
export async function readRemoteRecord(
  bucket: RemoteBucket,
  key: string,
  store: Store,
  signal?: AbortSignal,
): Promise<CheckedRecord | Exclude<Fetch, { kind: 'hit' }>> {
  const where = `${bucket.location.url} record ${key.slice(0, 12)}…`;
  const text = await bucket.read(recordObject(bucket.location, key), MAX_RECORD_BYTES, signal);
  if (text === null) return { kind: 'miss' };
  const record = parseRecord(text, key);
  if (typeof record === 'string') return { kind: 'rejected', why: `${where}: ${record}; not used` };
  // The same bytes already here (another key's output, a record dropped): no blob GET. The
  // local blob is as good as a downloaded one that hashes to the record's sha256; its kind is
  // still checked against the record.
  const local = await localHead(store, record.output_sha256);
  if (local === null) return { kind: 'record', record, local: false, where };
  const why = kindMismatch(local, record);
  if (why !== null) return { kind: 'rejected', why: `${where}: ${why}; not used` };
  return { kind: 'record', record, local: true, where };
}

export async function fetchRemote(
  bucket: RemoteBucket,
  key: string,
  store: Store,
  signal?: AbortSignal,
): Promise<Fetch> {
  const checked = await readRemoteRecord(bucket, key, store, signal);
  if (checked.kind !== 'record') return checked;
  const { record, where } = checked;
  if (checked.local) {
    await store.putRecord(record, { rebuildable: true });
    return { kind: 'hit', record };
  }
  const tmp = store.tempPath('remote');
  const got = await bucket.download(blobObject(bucket.location, record.output_sha256), tmp, MAX_BLOB_BYTES, signal);
  if (got === null) return { kind: 'rejected', why: `${where}: its output blob is missing; not used` };
  const why =
    got.sha256 !== record.output_sha256
      ? `output blob does not match its record (sha256 ${short(got.sha256)} ≠ ${short(record.output_sha256)})`
      : (kindMismatch(got.head, record) ?? (await wholeImageProblem(got.data ?? tmp)));
  if (why !== null) {
    await rm(tmp, { force: true });
    return { kind: 'rejected', why: `${where}: ${why}; not used` };
  }
  // Rebuildable from the remote: like an adopted output (run/adopt.ts), not fsynced one by one.
  await store.adoptBlob(tmp, got.sha256, { synced: true });
  await store.putRecord(record, { rebuildable: true });
  return { kind: 'hit', record };
}

/** The first bytes of the local blob `sha256`, or `null` when the store has none. */
async function localHead(store: Store, sha256: string): Promise<Buffer | null> {
  if (!(await store.hasBlob(sha256))) return null;
  let handle: FileHandle | undefined;
  try {
    handle = await open(store.blobPath(sha256), 'r');
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    return buffer.subarray(0, bytesRead);
  } catch {
    return null;
  } finally {
    await handle?.close();
  }
}

/** Why the blob (its first bytes) cannot be the record's output, or `null` when it can. */
function kindMismatch(head: Buffer, record: RunRecord): string | null {
  const kind = sniffImage(head);
  if (kind === null) return 'output blob is not an image';
  // Exactly the extension a run gives that kind (`png`, `jpg`): the record's names out/'s file.
  if (record.ext !== extensionOfKind(kind)) return `output blob is ${kind}, its record says .${record.ext}`;
  return null;
}

/**
 * Why the downloaded blob is not an image a provider's download would have given and a later
 * pass may send (hosting/image-check.ts: cut short, a PNG chunk failing its CRC-32, a header
 * declaring too many pixels), or `null`. Its sha256 only proves it is what the record names: a
 * remote that stored a damaged file names it too, and it would reach out/ and fail the pass
 * that reads it (exit 65) instead of being a miss.
 */
async function wholeImageProblem(blob: string | Buffer): Promise<string | null> {
  // A small blob was read into memory (bucket.ts): checked there, not read back from its file.
  const reader: ClosableReader = typeof blob === 'string' ? await fileReader(blob) : bufferReader(blob);
  try {
    const probe = await probeImage(reader);
    if (!probe.ok) return `output blob is not a whole image (${probe.detail.replace(/^the body\b/, 'the file')})`;
    const input = await checkInputImage(reader);
    if (input.ok) return null;
    return input.problem.startsWith('not ') ? `output blob is ${input.problem}` : `output blob: ${input.problem}`;
  } finally {
    await reader.close?.();
  }
}

function short(sha: string): string {
  return `${sha.slice(0, 12)}…`;
}

/**
 * The record, rebuilt from the fields our uploads write (remote-record.ts), or why it is refused.
 * The provider's output URL is never taken from a remote, nor a change review (one would stand
 * for this machine's own judgement of drift and name a change map in the local store; the result
 * is reviewed here when asked), nor a price (it would set what `kontext report` says it cost).
 */
function parseRecord(bytes: Buffer, key: string): RunRecord | string {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const parsed = RunRecordSchema.safeParse(data);
  if (!parsed.success) return `not a run record (${parsed.error.issues[0]?.path.join('.') ?? ''})`;
  if (parsed.data.key !== key) return 'it is filed under another key';
  const record = remoteRecordOf(parsed.data);
  if (record === null) return 'it lacks the prompt or params';
  // What reaches the lock file as it is: short, printable, a real time.
  if (!/^[\x21-\x7e]{1,200}$/.test(record.request_id)) return 'its request id is not a short printable string';
  // Printable ASCII too: Date.parse reads `(<U+202E>) Jan 1 2025`, its parenthesis a comment.
  if (!/^[\x20-\x7e]{1,40}$/.test(record.finished_at) || Number.isNaN(Date.parse(record.finished_at)))
    return 'its finish time is not a date';
  if (!/^image\/[a-z0-9.+-]{1,40}$/.test(record.media_type)) return 'its media type is not an image type';
  let actual: string;
  try {
    actual = cacheKey(record);
  } catch {
    return 'its params are not plain JSON';
  }
  return actual === key ? record : 'its request fields do not hash to its key';
}
