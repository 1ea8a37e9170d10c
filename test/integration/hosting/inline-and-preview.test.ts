/**
 * `inline` data URIs, and `describe()` previews for --dry-run: worked out from the URL cache
 * alone, never from the network.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHosting, type HostingConfig } from '../../../src/hosting/index.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { createTestProject, testClock, testRuntime, type TestProject } from './project.js';

let project: TestProject;

beforeEach(async () => {
  project = await createTestProject();
});

afterEach(() => project.cleanup());

describe('inline hosting', () => {
  it('returns a data URI of the exact bytes, caches nothing, never expires', async () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255]);
    const img = await project.image('tiny.png', bytes);
    const h = createHosting(
      { mode: 'inline' },
      { rt: testRuntime({}), cacheDir: project.cacheDir, projectRoot: project.root, allowPrivateUrls: true },
    );
    const hosted = await h.urlFor(img);
    expect(hosted).toMatchObject({ via: 'inline', expiresAt: null, uploaded: false, bytesUploaded: 0 });
    expect(hosted.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(hosted.url.split(',')[1] ?? '', 'base64').equals(await readFile(img.path))).toBe(true);

    const preview = await h.describe(img);
    expect(preview).toMatchObject({
      action: 'inline',
      bytes: hosted.url.length,
      text: `inline data URI (${hosted.url.length} B)`,
    });
    expect(existsSync(join(project.cacheDir, 'hosted'))).toBe(false);
  });
});

describe('describe() for --dry-run', () => {
  let s3: TestS3Server;

  beforeEach(async () => {
    s3 = await startS3Server();
  });

  afterEach(() => s3.close());

  it('says upload, then reuse with time left, then re-sign after expiry — without network calls', async () => {
    const clock = testClock();
    const config: HostingConfig = { mode: 's3', bucket: s3.bucket, endpoint: s3.endpoint, force_path_style: true };
    const rt = testRuntime({ ...TEST_AWS_ENV }, clock.now);
    const h = createHosting(config, {
      rt,
      cacheDir: project.cacheDir,
      projectRoot: project.root,
      allowPrivateUrls: true,
    });
    const img = await project.image('big.png', Buffer.alloc(1_234_567, 7));

    expect(await h.describe(img)).toMatchObject({
      action: 'upload',
      bytes: img.bytes,
      text: 'will upload 1.2 MB (unless already in the bucket)',
    });
    expect(s3.requests).toHaveLength(0);

    await h.urlFor(img);
    // The record keeps no URL (a presigned one holds the credentials' id): one is signed for each run.
    const reused = { action: 'reuse', bytes: 0, text: 'reuse the uploaded object (a URL is made for the run)' };
    for (const later of [19 * 60_000, 40 * 60_000]) {
      clock.advance(later);
      expect(await h.describe(img)).toMatchObject({ ...reused, redactedUrl: null, expiresAt: null });
    }

    // A record an older kontext wrote, with a presigned URL now expired: signed anew, not uploaded.
    const [record] = await project.hostedRecords();
    if (!record) throw new Error('no hosted record');
    const expired = new Date(clock.now() - 60_000).toISOString();
    const url = `${s3.endpoint}/${s3.bucket}/${img.sha256}.png?X-Amz-Signature=beef`;
    await writeFile(record.path, JSON.stringify({ ...JSON.parse(record.text), url, expires_at: expired }));
    expect(await h.describe(img)).toMatchObject({
      action: 'rehost',
      text: 'already uploaded; URL expired, will sign a new one',
    });
    const requestsAfterHosting = 2; // one HEAD, one PUT
    expect(s3.requests).toHaveLength(requestsAfterHosting);
    await h.close?.();
  });
});
