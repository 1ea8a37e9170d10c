/**
 * The three S3 calls hosting needs: HEAD (is it there already?), PUT (streamed from disk,
 * retried by reopening the file since a consumed stream cannot be replayed) and a presigned GET.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Runtime } from '../runtime.js';
import type { HostingError } from './errors.js';
import { describeSdkError, s3Error } from './s3-errors.js';

export interface ObjectRef {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  /** Values to scrub from upstream messages (credentials). */
  readonly secrets: readonly string[];
}

const PUT_ATTEMPTS = 3;
const PUT_BACKOFF_MS = 1000;
/** Content-addressed objects never change, so caches may keep them forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

function where(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/** Rethrow the caller's abort reason as-is: cancellation is not a hosting failure. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** The local image an object must hold: its file, size and sha256 (the key's name). */
export interface ExpectedObject {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Whether the object is already stored with the image's bytes. A 403 counts as "unknown":
 * without s3:ListBucket, S3 answers 403 rather than 404 for a missing key, and the PUT will tell.
 * An object of another size, or of the same size with other bytes (its `x-amz-meta-sha256`,
 * written by every PUT, naming others or none: see {@link holdsImage}), is not it: it is
 * uploaded again, over it. The key is named by the sha256, but a bucket holds what was put there
 * (walk-af 2: an object of the same length was trusted, the API edited it, and the result was
 * cached under the local image's key).
 */
export async function objectExists(ref: ObjectRef, expected: ExpectedObject, signal?: AbortSignal): Promise<boolean> {
  let head: HeadObjectCommandOutput;
  try {
    head = await ref.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
      abortSignal: signal,
    });
  } catch (e) {
    throwIfAborted(signal);
    const { name, status } = describeSdkError(e);
    if (status === 404 || status === 403 || name === 'NotFound' || name === 'NoSuchKey') return false;
    throw s3Error(e, `check ${where(ref)}`, ref.secrets);
  }
  return holdsImage(head, expected);
}

/** A single-part PUT's ETag: its body's MD5 (not so for a multipart upload, `-<parts>`, or SSE-KMS). */
const MD5_ETAG = /^"?([0-9a-f]{32})"?$/i;

/**
 * Whether a HEAD's object holds the image: the sha256 kontext wrote with it, else (a store that
 * drops user metadata) an ETag equal to the file's MD5, read with its sha256 in one pass so the
 * MD5 is of the very bytes the key names. Anything else (no metadata and an ETag that is no plain
 * MD5, a file that cannot be read now) is "not it": uploading again costs an upload, trusting it
 * a paid edit of another image.
 */
async function holdsImage(head: HeadObjectCommandOutput, expected: ExpectedObject): Promise<boolean> {
  if (head.ContentLength !== undefined && head.ContentLength !== expected.bytes) return false;
  const recorded = head.Metadata?.['sha256'];
  if (recorded !== undefined) return recorded.toLowerCase() === expected.sha256;
  const etag = MD5_ETAG.exec(head.ETag ?? '')?.[1]?.toLowerCase();
  if (etag === undefined) return false;
  const local = await md5AndSha256(expected.path).catch(() => null);
  return local !== null && local.sha256 === expected.sha256 && local.md5 === etag;
}

async function md5AndSha256(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

/**
 * Stream `file` (a checked private copy: hosting/snapshot.ts) to the object, with its media type;
 * returns the bytes sent.
 */
export async function putObject(
  ref: ObjectRef,
  file: { readonly path: string; readonly bytes: number; readonly mediaType: string; readonly sha256: string },
  rt: Runtime,
  signal?: AbortSignal,
): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const body = createReadStream(file.path);
    try {
      const command = new PutObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        Body: body,
        ContentLength: file.bytes,
        ContentType: file.mediaType,
        CacheControl: IMMUTABLE,
        Metadata: { sha256: file.sha256 },
      });
      await ref.client.send(command, { abortSignal: signal });
      return file.bytes;
    } catch (e) {
      throwIfAborted(signal);
      const error = s3Error(e, `upload to ${where(ref)}`, ref.secrets);
      if (attempt >= PUT_ATTEMPTS || !isRetryable(error)) throw error;
      await rt.sleep(PUT_BACKOFF_MS * 2 ** (attempt - 1), signal);
    } finally {
      body.destroy();
    }
  }
}

function isRetryable(e: HostingError): boolean {
  return e.code === 'E_HOSTING_UNAVAILABLE' || e.code === 'E_HOSTING_TIMEOUT';
}

/**
 * A presigned GET URL valid for `ttlSeconds` from `nowMs` (the runtime clock), corrected by the
 * skew the SDK learnt from the bucket's replies (`systemClockOffset`: a HEAD or PUT refused as
 * signed too far from the server's time is signed again with it): a clock hours off otherwise
 * signed a URL already expired, and the API was paid to fail fetching it (walk-ae 3).
 */
export async function presignGet(ref: ObjectRef, ttlSeconds: number, nowMs: number): Promise<string> {
  try {
    const command = new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key });
    const skew = ref.client.config.systemClockOffset ?? 0;
    return await getSignedUrl(ref.client, command, { expiresIn: ttlSeconds, signingDate: new Date(nowMs + skew) });
  } catch (e) {
    throw s3Error(e, `sign a URL for ${where(ref)}`, ref.secrets);
  }
}
