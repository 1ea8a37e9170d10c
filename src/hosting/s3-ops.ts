/**
 * The three S3 calls hosting needs: HEAD (is it there already?), PUT (streamed from disk,
 * retried by reopening the file since a consumed stream cannot be replayed) and a presigned GET.
 */
import { createReadStream } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

/**
 * Whether the object is already stored with `bytes` bytes. A 403 counts as "unknown": without
 * s3:ListBucket, S3 answers 403 rather than 404 for a missing key, and the PUT will tell.
 */
export async function objectExists(ref: ObjectRef, bytes: number, signal?: AbortSignal): Promise<boolean> {
  try {
    const head = await ref.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
      abortSignal: signal,
    });
    return head.ContentLength === undefined || head.ContentLength === bytes;
  } catch (e) {
    throwIfAborted(signal);
    const { name, status } = describeSdkError(e);
    if (status === 404 || status === 403 || name === 'NotFound' || name === 'NoSuchKey') return false;
    throw s3Error(e, `check ${where(ref)}`, ref.secrets);
  }
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

/** A presigned GET URL valid for `ttlSeconds` from `nowMs` (the runtime clock). */
export async function presignGet(ref: ObjectRef, ttlSeconds: number, nowMs: number): Promise<string> {
  try {
    const command = new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key });
    return await getSignedUrl(ref.client, command, { expiresIn: ttlSeconds, signingDate: new Date(nowMs) });
  } catch (e) {
    throw s3Error(e, `sign a URL for ${where(ref)}`, ref.secrets);
  }
}
