/**
 * A remote hit's blob on both of its ways in (src/remote/bucket.ts): a small one (at most 1 MiB
 * announced) is read into memory, written with one call and checked in memory; a larger one is
 * streamed to its temp file, hashed on the way, and checked from the file. Either way it is
 * sha256-verified and checked as a whole image before the store takes it, and a damaged one is
 * refused and not kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBucket, type RemoteBucket } from '../../../src/remote/bucket.js';
import { fetchRemote } from '../../../src/remote/fetch.js';
import { blobObject, parseRemoteUrl, recordObject } from '../../../src/remote/location.js';
import { cacheKey, openStore } from '../../../src/store/index.js';
import type { Store } from '../../../src/store/types.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { pngHolding } from '../../helpers/test-images.js';

let s3: TestS3Server;
let bucket: RemoteBucket;
let store: Store;
let dir: string;

beforeEach(async () => {
  s3 = await startS3Server();
  const env = { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: s3.endpoint };
  bucket = openBucket(parseRemoteUrl(`s3://${s3.bucket}/team`, 'test'), env);
  dir = await mkdtemp(join(tmpdir(), 'kontext-blob-fetch-'));
  store = await openStore(join(dir, 'cache'));
});

afterEach(async () => {
  bucket.close();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

async function put(key: string, body: Buffer | string): Promise<void> {
  const client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: TEST_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
  await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  client.destroy();
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A record for `blob` under its own key, and `stored` (the blob as given, or damaged) under the blob's name. */
async function seed(blob: Buffer, stored: Buffer = blob): Promise<string> {
  const fields = {
    provider: 'emulator',
    model: 'flux-kontext-pro',
    prompt: 'Make the sky orange.',
    input_sha256: 'a'.repeat(64),
    params: { aspect_ratio: '1:1' },
    seed: 7,
  };
  const key = cacheKey(fields);
  const record = {
    ...fields,
    key,
    node: 'sky/photo',
    output_sha256: sha256(blob),
    media_type: 'image/png',
    ext: 'png',
    request_id: 'req-1',
    finished_at: '2026-12-05T01:00:00.000Z',
  };
  await put(blobObject(bucket.location, sha256(blob)), stored);
  await put(recordObject(bucket.location, key), JSON.stringify(record));
  return key;
}

const tmpFiles = async (): Promise<string[]> => readdir(join(store.root, 'tmp')).catch(() => []);

describe('a remote blob', () => {
  it('of at most 1 MiB is read into memory: the same bytes and sha256 as a streamed one', async () => {
    const small = pngHolding('small', 4, 4);
    await put('team/small.png', small);
    const got = await bucket.download('team/small.png', join(dir, 'small.tmp'), 1 << 30);
    expect(got?.data?.equals(small)).toBe(true);
    expect(got?.sha256).toBe(sha256(small));
    expect(got?.bytes).toBe(small.length);
    expect(got?.head.equals(small.subarray(0, 64))).toBe(true);
    expect((await readFile(join(dir, 'small.tmp'))).equals(small)).toBe(true);
  });

  it('over 1 MiB is streamed to its file, hashed on the way, and not held in memory', async () => {
    const large = pngHolding(randomBytes(1536 * 1024));
    await put('team/large.png', large);
    const got = await bucket.download('team/large.png', join(dir, 'large.tmp'), 1 << 30);
    expect(got?.data).toBeUndefined();
    expect(got?.sha256).toBe(sha256(large));
    expect(got?.bytes).toBe(large.length);
    expect((await readFile(join(dir, 'large.tmp'))).equals(large)).toBe(true);
  });

  for (const [size, payload] of [
    ['small', 'a small payload'],
    ['large', randomBytes(1536 * 1024)],
  ] as const) {
    it(`${size}: a whole PNG is a hit, stored under its sha256`, async () => {
      const png = pngHolding(payload);
      const key = await seed(png);
      const got = await fetchRemote(bucket, key, store);
      expect(got.kind).toBe('hit');
      expect((await readFile(store.blobPath(sha256(png)))).equals(png)).toBe(true);
      expect(await store.getRecord(key)).toMatchObject({ key, output_sha256: sha256(png) });
    });

    it(`${size}: a PNG garbled inside, named by its own sha256, is refused and not kept`, async () => {
      const png = Buffer.from(pngHolding(payload));
      const at = png.indexOf('tEXt') + 12; // inside the text chunk: its CRC-32 no longer matches
      png[at] = (png[at] ?? 0) ^ 0xff;
      const key = await seed(png);
      const got = await fetchRemote(bucket, key, store);
      expect(got).toMatchObject({ kind: 'rejected', why: expect.stringContaining('not a whole image') });
      expect(await store.hasBlob(sha256(png))).toBe(false);
      expect(await store.getRecord(key)).toBeNull();
      expect(await tmpFiles()).toEqual([]);
    });

    it(`${size}: a blob that does not hash to its record is refused and not kept`, async () => {
      const png = pngHolding(payload);
      const other = pngHolding(typeof payload === 'string' ? `${payload}!` : randomBytes(payload.length));
      const key = await seed(png, other);
      const got = await fetchRemote(bucket, key, store);
      expect(got).toMatchObject({ kind: 'rejected', why: expect.stringContaining('does not match its record') });
      expect(await store.hasBlob(sha256(png))).toBe(false);
      expect(await tmpFiles()).toEqual([]);
    });
  }
});
