/**
 * The S3 calls the remote cache makes, on any S3-compatible service: GET (bounded, into memory
 * or streamed to a file and hashed on the way), HEAD and PUT. The endpoint comes from the
 * SDK's standard `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`), read from the runtime's
 * environment; a custom endpoint is addressed path-style (MinIO, R2 and most others need it).
 * Credentials come from the SDK's standard chain (hosting/s3-client.ts), never from a recipe.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createS3Client, credentialSecrets } from '../hosting/s3-client.js';
import { isMissing, RemoteCacheError, remoteError } from './errors.js';
import type { RemoteLocation } from './location.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A downloaded object: its sha256, size and first bytes (to tell what kind of file it is). */
interface Fetched {
  readonly sha256: string;
  readonly bytes: number;
  readonly head: Buffer;
}

export interface RemoteBucket {
  readonly location: RemoteLocation;
  /** The object's bytes, or `null` when there is none; more than `max` bytes is an error. */
  read(key: string, max: number, signal?: AbortSignal): Promise<Buffer | null>;
  /** Stream the object to `path` (created), hashing it; `null` when there is none. */
  download(key: string, path: string, max: number, signal?: AbortSignal): Promise<Fetched | null>;
  /** Whether the object exists; a 403 (no s3:ListBucket) counts as "not known to exist". */
  exists(key: string, signal?: AbortSignal): Promise<boolean>;
  write(key: string, body: Buffer, contentType: string, signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** Content-addressed objects never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function openBucket(location: RemoteLocation, env: Env): RemoteBucket {
  const endpoint = env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined;
  const client: S3Client = createS3Client(
    {
      bucket: location.bucket,
      prefix: location.prefix,
      region: env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? (endpoint ? 'us-east-1' : undefined),
      endpoint,
      forcePathStyle: endpoint !== undefined,
      publicBaseUrl: undefined,
      presignTtlSeconds: 3600,
      profile: undefined,
    },
    env,
  );
  const secrets = credentialSecrets(env);
  const Bucket = location.bucket;
  const fail = (e: unknown, what: string, signal?: AbortSignal): never => {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof RemoteCacheError) throw e;
    throw remoteError(e, what, secrets);
  };
  const get = async (key: string, max: number, signal?: AbortSignal): Promise<Readable | null> => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
      const body = out.Body as Readable | undefined;
      if (!body) return null;
      if (out.ContentLength !== undefined && out.ContentLength > max) {
        body.destroy();
        throw new RemoteCacheError('refused', `s3://${Bucket}/${key} is ${out.ContentLength} bytes (cap ${max})`);
      }
      return body;
    } catch (e) {
      if (isMissing(e)) return null;
      return fail(e, 'read', signal);
    }
  };
  return {
    location,
    async read(key, max, signal) {
      const body = await get(key, max, signal);
      if (body === null) return null;
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > max) throw new RemoteCacheError('refused', `s3://${Bucket}/${key} exceeds ${max} bytes`);
          chunks.push(chunk);
        }
      } catch (e) {
        body.destroy();
        return fail(e, 'read', signal);
      }
      return Buffer.concat(chunks);
    },
    async download(key, path, max, signal) {
      const body = await get(key, max, signal);
      if (body === null) return null;
      const hash = createHash('sha256');
      let bytes = 0;
      const heads: Buffer[] = [];
      async function* tap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          bytes += chunk.length;
          if (bytes > max) throw new RemoteCacheError('refused', `s3://${Bucket}/${key} exceeds ${max} bytes`);
          if (bytes - chunk.length < 64) heads.push(chunk);
          hash.update(chunk);
          yield chunk;
        }
      }
      try {
        await pipeline(body, tap, createWriteStream(path, { flags: 'wx' }), { signal });
      } catch (e) {
        await rm(path, { force: true });
        return fail(e, 'read', signal);
      }
      return { sha256: hash.digest('hex'), bytes, head: Buffer.concat(heads).subarray(0, 64) };
    },
    async exists(key, signal) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal: signal });
        return true;
      } catch (e) {
        if (isMissing(e)) return false;
        const err = remoteError(e, 'check', secrets);
        if (err.kind === 'denied' && !signal?.aborted) return false;
        return fail(e, 'check', signal);
      }
    },
    async write(key, body, contentType, signal) {
      try {
        const command = new PutObjectCommand({
          Bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
          CacheControl: IMMUTABLE,
        });
        await client.send(command, { abortSignal: signal });
      } catch (e) {
        fail(e, 'write', signal);
      }
    },
    close: () => client.destroy(),
  };
}
