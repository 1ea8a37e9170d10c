/**
 * The media type an image is hosted with follows its bytes, never its name or the caller's
 * label: a JPEG named `.png` travels as `data:image/jpeg`, lands on `<sha256>.jpg` with
 * `Content-Type: image/jpeg`, and a command sees `KONTEXT_MEDIA_TYPE=image/jpeg`. A URL record
 * made under another label (an older kontext named the type by the extension) is not reused,
 * and the record made instead is reused from then on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createHosting, type HostableImage, type Hosting, type HostingConfig } from '../../../src/hosting/index.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { jpegHolding } from '../../helpers/test-images.js';
import { testRuntime, useS3Fixture } from './project.js';

const fx = useS3Fixture();

function hosting(config: HostingConfig, env: Record<string, string> = { ...TEST_AWS_ENV }): Hosting {
  return fx.track(
    createHosting(config, {
      rt: testRuntime(env),
      cacheDir: fx.project.cacheDir,
      projectRoot: fx.project.root,
      allowPrivateUrls: true,
    }),
  );
}

const s3Config = (): HostingConfig => ({
  mode: 's3',
  bucket: fx.s3.bucket,
  endpoint: fx.s3.endpoint,
  force_path_style: true,
});

/** A JPEG saved as `photo.png`, handed over with the label its name suggests (as callers did). */
async function jpegNamedPng(): Promise<HostableImage> {
  const img = await fx.project.image('assets/photo.png', jpegHolding('a jpeg, whatever its name says'));
  const claimed = { ...img, mediaType: 'image/png' };
  return claimed;
}

describe('the media type of hosted images follows the bytes', () => {
  it('inline: a JPEG named .png is a data:image/jpeg URI', async () => {
    const img = await jpegNamedPng();
    const h = hosting({ mode: 'inline' });
    const hosted = await h.urlFor(img);
    expect(hosted.url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect((await h.describe(img)).bytes).toBe(hosted.url.length);
  });

  it('s3: a JPEG named .png is stored as <sha256>.jpg with Content-Type image/jpeg', async () => {
    const img = await jpegNamedPng();
    const hosted = await hosting(s3Config()).urlFor(img);
    expect(hosted.url).toContain(`/${fx.s3.bucket}/${img.sha256}.jpg?`);
    expect((await fx.s3.readObject(`${img.sha256}.jpg`))?.contentType).toBe('image/jpeg');
    expect(await fx.s3.readObject(`${img.sha256}.png`)).toBeNull();
  });

  it('command: KONTEXT_MEDIA_TYPE and KONTEXT_EXT name the bytes', async () => {
    const img = await jpegNamedPng();
    const h = hosting(
      { mode: 'command', command: 'echo "https://cdn.example.test/$KONTEXT_MEDIA_TYPE/x.$KONTEXT_EXT"' },
      { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    );
    expect((await h.urlFor(img)).url).toBe('https://cdn.example.test/image/jpeg/x.jpg');
  });

  it('a record made under another label is hosted again once, then reused', async () => {
    const img = await jpegNamedPng();
    const first = await hosting(s3Config()).urlFor(img);
    const [record] = await fx.project.hostedRecords();
    if (!record) throw new Error('no URL record');
    expect(JSON.parse(record.text)).toMatchObject({ media_type: 'image/jpeg' });

    // What an older kontext left: the .png object and its URL, no media type in the record.
    const { media_type: _, ...old } = JSON.parse(record.text) as Record<string, unknown>;
    await writeFile(record.path, JSON.stringify({ ...old, url: first.url.replace('.jpg?', '.png?') }));
    expect((await hosting(s3Config()).describe(img)).action).toBe('upload');
    const again = await hosting(s3Config()).urlFor(img);
    expect(again).toMatchObject({ via: 's3', uploaded: false });
    expect(again.url).toContain(`${img.sha256}.jpg?`);
    expect(JSON.parse(await readFile(record.path, 'utf8'))).toMatchObject({ media_type: 'image/jpeg' });

    const requests = fx.s3.requests.length;
    expect(await hosting(s3Config()).urlFor(img)).toMatchObject({ via: 'cache', url: again.url });
    expect(fx.s3.requests.length).toBe(requests);
    expect(fx.s3.count('PUT')).toBe(1);
  });
});
