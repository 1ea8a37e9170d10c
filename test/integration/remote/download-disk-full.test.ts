/**
 * A remote download onto a full disk (a real ENOSPC: a small tmpfs mounted for the test) is the
 * local disk's failure: one GET, no retry, no file left (review-ac 4: Node's write errors name no
 * path, so the body-cut retry took it for a dropped connection and downloaded it three times).
 * Where mounting is impossible the test is skipped and says why on stderr.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openBucket } from '../../../src/remote/bucket.js';
import { RemoteCacheError } from '../../../src/remote/errors.js';
import { parseRemoteUrl } from '../../../src/remote/location.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';

const run = promisify(execFile);
const SIZE = 3 * 1024 * 1024; // streamed to its file, not read into memory first
let dir = '';
let mounted = false;
let cannotMount: string | null = null;
let server: Server;
let gets = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kontext-full-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    mounted = true;
  } catch (e) {
    cannotMount = `cannot mount a tmpfs here (${(e as Error).message.split('\n')[0] ?? ''})`;
  }
  server = createServer((req, res) => {
    if (req.method === 'GET') gets++;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(SIZE) });
    res.end(Buffer.alloc(SIZE, 7));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  server.close();
  if (mounted) await run('umount', ['-l', dir]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
  if (cannotMount !== null) process.stderr.write(`download-disk-full.test.ts: SKIPPED: ${cannotMount}\n`);
});

it('a full local disk under a download is one GET and one error, with no file left', async () => {
  if (cannotMount !== null) return;
  const { port } = server.address() as AddressInfo;
  const bucket = openBucket(parseRemoteUrl('s3://bkt/pre', 'test'), {
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
  });
  try {
    await mkdir(join(dir, 'blobs'));
    const failed = await bucket.download('pre/v1/blobs/ab/x', join(dir, 'blobs', 'x.tmp'), 10 * SIZE).catch((e) => e);
    expect(failed).toBeInstanceOf(RemoteCacheError);
    expect((failed as Error).message).toContain('ENOSPC');
    expect(gets).toBe(1);
    expect(await readdir(join(dir, 'blobs'))).toEqual([]);
  } finally {
    bucket.close();
  }
});
