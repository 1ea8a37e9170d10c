/**
 * A real S3-compatible server for tests: `s3rver` in-process on 127.0.0.1, port 0, data in a
 * temp folder, one bucket created. Every HTTP request is recorded (method, path, status) by
 * listening on the server's `request` event ahead of s3rver itself, so tests can count PUTs
 * and HEADs. s3rver knows the access key id `S3RVER` and does not verify SigV4 signatures,
 * so any secret works — tests use a distinctive one to prove it never leaks.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

interface RecordedS3Request {
  readonly method: string;
  /** Path without the query string, e.g. `/bucket/prefix/abc.png`. */
  readonly path: string;
  readonly status: number;
  /** Whether the request carried a presigned query string. */
  readonly presigned: boolean;
  readonly contentType: string | undefined;
}

interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface TestS3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly bucket: string;
  readonly requests: RecordedS3Request[];
  /** How many requests with this method reached an object (not the bucket root). */
  count(method: string): number;
  /** The stored object, read straight from s3rver's store (not counted as a request). */
  readObject(key: string): Promise<StoredObject | null>;
  /** Delete an object behind the client's back (not counted as a request). */
  deleteObject(key: string): Promise<void>;
  /** Put an object behind the client's back, with user metadata or none (counted as a PUT). */
  plantObject(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

/** Environment for `rt.env`: credentials s3rver accepts; the secret is a canary. */
export const TEST_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'kontext-canary-secret-9f2c1e7a',
  AWS_REGION: 'us-east-1',
} as const;

interface S3rverStore {
  getObject(
    bucket: string,
    key: string,
  ): Promise<{ content: NodeJS.ReadableStream | null; metadata: Record<string, string> } | null>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  readonly httpServer: Server;
  readonly store: S3rverStore;
}

type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'kontext-test';
  const directory = await mkdtemp(join(tmpdir(), 'kontext-s3-'));
  const Ctor = S3rver as unknown as S3rverCtor;
  const server = new Ctor({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const requests: RecordedS3Request[] = [];
  server.httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.on('finish', () => {
      requests.push({
        method: req.method ?? '',
        path: url.pathname,
        status: res.statusCode,
        presigned: url.searchParams.has('X-Amz-Signature'),
        contentType: req.headers['content-type'],
      });
    });
  });
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    requests,
    count: (method) =>
      requests.filter(
        (r) => r.method === method && r.path.startsWith(`/${bucket}/`) && r.path.length > bucket.length + 2,
      ).length,
    async readObject(key) {
      const object = await server.store.getObject(bucket, key);
      if (!object?.content) return null;
      return {
        body: await readAll(object.content),
        contentType: object.metadata['content-type'],
        metadata: object.metadata,
      };
    },
    deleteObject: (key) => server.store.deleteObject(bucket, key),
    async plantObject(key, body, metadata) {
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${address.port}`,
        forcePathStyle: true,
        region: TEST_AWS_ENV.AWS_REGION,
        credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: 'planted' },
      });
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }));
      } finally {
        client.destroy();
      }
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Credentials only an SDK chain finds (the default profile in `<home>/.aws/credentials`), each a canary. */
const PROFILE_CANARIES = {
  keyId: 'AKIAPROFILECANARY7Q2Z',
  secret: 'profile-secret-canary-0b5d44e1',
  token: 'profile-session-token-canary-c3a9f0',
} as const;

/** Write {@link PROFILE_CANARIES} as `<home>/.aws/credentials`, with a session token. */
export async function writeCanaryProfile(home: string): Promise<void> {
  const { keyId, secret, token } = PROFILE_CANARIES;
  await mkdir(join(home, '.aws'), { recursive: true });
  const lines = ['[default]', `aws_access_key_id = ${keyId}`, `aws_secret_access_key = ${secret}`];
  await writeFile(join(home, '.aws', 'credentials'), [...lines, `aws_session_token = ${token}`, ''].join('\n'));
}

/** Where `text` (a run's output) shows a canary credential or an echoed SigV4 signature; none expected. */
export function leakedCredentials(text: string): string[] {
  const leaks: string[] = Object.values(PROFILE_CANARIES).filter((c) => text.includes(c));
  return /Signature=[0-9a-f]{64}/.test(text) ? [...leaks, 'a SigV4 signature'] : leaks;
}
