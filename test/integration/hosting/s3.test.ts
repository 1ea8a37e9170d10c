/**
 * `s3` hosting against a real S3-compatible server on loopback (s3rver): uploads once, dedupes
 * by HEAD across runs, stores the right Content-Type, and hands out URLs that actually work.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createHosting, type Hosting, type HostingConfig } from '../../../src/hosting/index.js';
import { createS3Client } from '../../../src/hosting/s3-client.js';
import { presignGet } from '../../../src/hosting/s3-ops.js';
import { s3Settings } from '../../../src/hosting/s3-settings.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { jpegHolding } from '../../helpers/test-images.js';
import { createTestProject, testClock, testRuntime, useS3Fixture } from './project.js';

const HOUR = 3_600_000;

const fx = useS3Fixture();

function s3Config(extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {}): HostingConfig {
  return {
    mode: 's3',
    bucket: fx.s3.bucket,
    prefix: '/inputs//kontext/',
    endpoint: fx.s3.endpoint,
    force_path_style: true,
    ...extra,
  };
}

function hosting(
  config: HostingConfig,
  options: { now?: () => number; cacheDir?: string; env?: Record<string, string>; privateOk?: boolean } = {},
): Hosting {
  const rt = testRuntime(options.env ?? { ...TEST_AWS_ENV }, options.now);
  const h = createHosting(config, {
    rt,
    cacheDir: options.cacheDir ?? fx.project.cacheDir,
    projectRoot: fx.project.root,
    allowPrivateUrls: options.privateOk ?? true, // the s3rver is on 127.0.0.1
  });
  return fx.track(h);
}

describe('s3 hosting', () => {
  it('uploads once with the right key and Content-Type, and the presigned URL serves the bytes', async () => {
    const img = await fx.project.image('assets/portrait.jpg', jpegHolding('jpeg bytes '.repeat(500)));
    const hosted = await hosting(s3Config()).urlFor(img);

    expect(hosted).toMatchObject({ via: 's3', uploaded: true, bytesUploaded: img.bytes });
    expect(hosted.url).toContain(`/${fx.s3.bucket}/inputs/kontext/${img.sha256}.jpg?`);
    expect(hosted.expiresAt).toBeGreaterThan(Date.now() + HOUR - 60_000);
    const stored = await fx.s3.readObject(`inputs/kontext/${img.sha256}.jpg`);
    expect(stored?.contentType).toBe('image/jpeg');
    expect(stored?.body.equals(await readFile(img.path))).toBe(true);

    const res = await fetch(hosted.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(stored?.body ?? Buffer.alloc(0))).toBe(true);
  });

  it('never uploads an unchanged image twice: cache across runs, HEAD with a fresh cache', async () => {
    const img = await fx.project.image('a.png', 'png bytes');
    const first = await hosting(s3Config()).urlFor(img);
    expect(fx.s3.count('PUT')).toBe(1);

    // Second run, same cache dir: the recorded URL is reused without any request.
    const before = fx.s3.requests.length;
    const second = await hosting(s3Config()).urlFor(img);
    expect(second).toMatchObject({ via: 'cache', uploaded: false, url: first.url });
    expect(fx.s3.requests.length).toBe(before);

    // Third run with an empty cache (another machine): HEAD finds the object, no PUT.
    const other = await createTestProject();
    try {
      const third = await hosting(s3Config(), { cacheDir: other.cacheDir }).urlFor(img);
      expect(third).toMatchObject({ via: 's3', uploaded: false, bytesUploaded: 0 });
    } finally {
      await other.cleanup();
    }
    expect(fx.s3.count('PUT')).toBe(1);
    expect(fx.s3.count('HEAD')).toBe(2);
  });

  it('shares one upload between concurrent requests for the same bytes', async () => {
    const img = await fx.project.image('same.png', 'same bytes');
    const h = hosting(s3Config());
    const results = await Promise.all([h.urlFor(img), h.urlFor(img), h.urlFor(img)]);
    expect(new Set(results.map((r) => r.url)).size).toBe(1);
    expect(fx.s3.count('PUT')).toBe(1);
    expect(fx.s3.count('HEAD')).toBe(1);
  });

  it("signs each reuse anew (past the first URL's expiry too) and re-uploads an object that vanished", async () => {
    const clock = testClock();
    const img = await fx.project.image('b.png', 'png bytes');
    const h = hosting(s3Config({ presign_ttl_seconds: 900 }), { now: clock.now });
    const first = await h.urlFor(img);
    expect(first.expiresAt).toBeGreaterThan(clock.now() + 899_000);

    clock.advance(11 * 60_000); // the first URL has 4 min left: too close to expiry to hand out
    const second = await h.urlFor(img);
    expect(second).toMatchObject({ via: 'cache', uploaded: false });
    expect(second.expiresAt).toBeGreaterThan(clock.now() + 899_000);
    expect(second.url).not.toBe(first.url);
    expect(await fetch(second.url).then((r) => r.status)).toBe(200);
    expect(fx.s3.count('PUT')).toBe(1);
    expect(fx.s3.count('HEAD')).toBe(1);

    // An hour on, the object is checked (HEAD) before a URL for it is handed out: gone, uploaded again.
    await fx.s3.deleteObject(`inputs/kontext/${img.sha256}.png`);
    clock.advance(50 * 60_000);
    const third = await h.urlFor(img);
    expect(third).toMatchObject({ via: 's3', uploaded: true });
    expect(fx.s3.count('PUT')).toBe(2);
    expect((await fx.s3.readObject(`inputs/kontext/${img.sha256}.png`))?.contentType).toBe('image/png');
  });

  it('a long session checks an old record again each hour: an object deleted meanwhile is uploaded again', async () => {
    // review-v: a confirmation counted for the whole process, so a --watch of days sent a URL of
    // an object a lifecycle rule had deleted, and the provider was paid to fail on it.
    const clock = testClock();
    const img = await fx.project.image('w.png', 'watch bytes');
    const h = hosting(s3Config(), { now: clock.now });
    await h.urlFor(img);
    clock.advance(2 * 3600_000);
    expect((await h.urlFor(img)).via).toBe('cache');
    expect(fx.s3.count('HEAD')).toBe(2); // the upload's, and the check of the two-hour-old record
    clock.advance(10 * 60_000);
    expect((await h.urlFor(img)).via).toBe('cache'); // checked ten minutes ago: no HEAD
    expect(fx.s3.count('HEAD')).toBe(2);
    await fx.s3.deleteObject(`inputs/kontext/${img.sha256}.png`);
    clock.advance(3600_000);
    expect(await h.urlFor(img)).toMatchObject({ via: 's3', uploaded: true });
    expect(fx.s3.count('PUT')).toBe(2);
  });

  it('forceRefresh skips the cache and re-uploads when the object is gone', async () => {
    const img = await fx.project.image('c.png', 'c bytes');
    const h = hosting(s3Config());
    await h.urlFor(img);
    await fx.s3.deleteObject(`inputs/kontext/${img.sha256}.png`);
    expect((await h.urlFor(img)).via).toBe('cache');
    const again = await h.urlFor(img, { forceRefresh: true });
    expect(again).toMatchObject({ via: 's3', uploaded: true });
    expect(fx.s3.count('PUT')).toBe(2);
  });

  it("refuses a URL the provider's API cannot fetch (bucket on loopback, public_base_url on a LAN)", async () => {
    const img = await fx.project.image('lan.png', 'png bytes for a lan');
    for (const config of [s3Config(), s3Config({ public_base_url: 'http://192.168.1.20/cdn/' })]) {
      const refused = await hosting(config, { privateOk: false })
        .urlFor(img)
        .then(
          () => null,
          (e: unknown) => e as { code?: string; message?: string },
        );
      expect(refused?.code).toBe('E_HOSTING_PRIVATE_URL');
      expect(refused?.message).toMatch(/^S3 hosting gives a (loopback|private-network) URL/);
    }
  });

  it('public_base_url gives a permanent URL = base + key, fetchable without signing', async () => {
    const img = await fx.project.image('d.jpeg', jpegHolding('d bytes'));
    const h = hosting(s3Config({ public_base_url: `${fx.s3.endpoint}/${fx.s3.bucket}/` }));
    const hosted = await h.urlFor(img);
    expect(hosted.url).toBe(`${fx.s3.endpoint}/${fx.s3.bucket}/inputs/kontext/${img.sha256}.jpg`);
    expect(hosted.expiresAt).toBeNull();
    const res = await fetch(hosted.url);
    expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(img.path))).toBe(true);
    expect((await h.describe(img)).text).toBe('reuse the uploaded object (a URL is made for the run)');
  });
});

describe('an object already at the key (walk-af 2)', () => {
  const mine = jpegHolding('the bytes to edit');
  const other = jpegHolding('another image!!!!'); // as long: its HEAD's length matches

  it('a URL is signed with the skew the SDK learnt from the bucket: a clock 2 h slow signs a working one', async () => {
    await fx.s3.plantObject('skew/a.png', Buffer.from('png bytes'));
    const settings = s3Settings(s3Config() as Extract<HostingConfig, { mode: 's3' }>);
    const client = createS3Client(settings, { ...TEST_AWS_ENV });
    try {
      // What the SDK keeps after a reply refused as signed 2 h off the server's time, on a machine 2 h slow.
      client.config.systemClockOffset = 2 * HOUR;
      const ref = { client, bucket: fx.s3.bucket, key: 'skew/a.png', secrets: [] };
      const url = await presignGet(ref, 900, Date.now() - 2 * HOUR);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      client.destroy();
    }
  });

  it('holding other bytes of the same length is uploaded over: a wrong sha256, or none and another MD5', async () => {
    expect(other.length).toBe(mine.length);
    const img = await fx.project.image('p.jpg', mine);
    const key = `inputs/kontext/${img.sha256}.jpg`;
    const h = hosting(s3Config());
    for (const metadata of [{ sha256: 'f'.repeat(64) }, undefined]) {
      await fx.s3.plantObject(key, other, metadata);
      const hosted = await h.urlFor(img, { forceRefresh: true });
      expect(hosted).toMatchObject({ via: 's3', uploaded: true });
      // What the API fetches: the image's own bytes.
      expect(Buffer.from(await (await fetch(hosted.url)).arrayBuffer()).equals(mine)).toBe(true);
      expect((await fx.s3.readObject(key))?.metadata['x-amz-meta-sha256']).toBe(img.sha256);
    }
  });

  it('holding its bytes without metadata (a store that drops it) is taken by its ETag (MD5): no upload', async () => {
    const img = await fx.project.image('q.jpg', mine);
    await fx.s3.plantObject(`inputs/kontext/${img.sha256}.jpg`, mine);
    expect(await hosting(s3Config()).urlFor(img)).toMatchObject({ via: 's3', uploaded: false });
    expect(fx.s3.count('PUT')).toBe(1); // the planted one
  });
});
