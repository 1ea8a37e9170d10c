/**
 * Security of hosting: only project and cache files are hosted, bytes must match their sha256,
 * secrets never reach records or messages, and failures map to the documented exit codes.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createHosting,
  HostingError,
  type Hosting,
  type HostingConfig,
  type HostableImage,
} from '../../../src/hosting/index.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { testRuntime, useS3Fixture } from './project.js';

const fx = useS3Fixture();

function hosting(
  extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {},
  env: Record<string, string> = { ...TEST_AWS_ENV },
): Hosting {
  const config: HostingConfig = {
    mode: 's3',
    bucket: fx.s3.bucket,
    endpoint: fx.s3.endpoint,
    force_path_style: true,
    ...extra,
  };
  const h = createHosting(config, {
    rt: testRuntime(env),
    cacheDir: fx.project.cacheDir,
    projectRoot: fx.project.root,
    allowPrivateUrls: true, // the s3rver is on 127.0.0.1
  });
  return fx.track(h);
}

async function failure(p: Promise<unknown>): Promise<HostingError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HostingError);
  return e as HostingError;
}

describe('what may be hosted', () => {
  it('refuses paths outside the project root and the cache dir, before any request', async () => {
    const img = await fx.project.image('ok.png', 'ok');
    const outside: HostableImage[] = [
      { ...img, path: '/etc/passwd' },
      { ...img, path: join(fx.project.root, '..', 'elsewhere.png') },
      { ...img, path: 'relative/ok.png' },
    ];
    for (const bad of outside) {
      const e = await failure(hosting().urlFor(bad));
      expect(e.code).toBe('E_HOSTING_INPUT_REFUSED');
      expect(e.exitCode).toBe(65);
    }
    const e = await failure(hosting().urlFor({ ...img, sha256: '../../escape' }));
    expect(e.code).toBe('E_HOSTING_INPUT_REFUSED');
    expect(fx.s3.requests).toHaveLength(0);
  });

  it('hosts blobs from the cache dir, sized from disk when the caller does not know the size', async () => {
    const blob = await fx.project.image('.kontext/blobs/ab/cdef', 'blob bytes');
    const h = hosting();
    const image = { ...blob, bytes: 0 };
    expect((await h.describe(image)).text).toBe(`will upload ${blob.bytes} B (unless already in the bucket)`);
    const hosted = await h.urlFor(image);
    expect(hosted).toMatchObject({ uploaded: true, bytesUploaded: blob.bytes });
    expect((await fx.s3.readObject(`${blob.sha256}.png`))?.body.equals(await readFile(blob.path))).toBe(true);
    expect(await h.urlFor(image, { forceRefresh: true })).toMatchObject({ uploaded: false });
    expect(fx.s3.count('PUT')).toBe(1);
  });

  it('will not upload bytes that no longer match their sha256', async () => {
    const img = await fx.project.image('edited.png', 'original');
    await fx.project.image('edited.png', 'edited!!');
    const e = await failure(hosting().urlFor(img));
    expect(e.code).toBe('E_HOSTING_INPUT_CHANGED');
    expect(fx.s3.count('PUT')).toBe(0);
  });

  it('reports a missing file as exit 66', async () => {
    const img = await fx.project.image('gone.png', 'gone');
    const e = await failure(hosting().urlFor({ ...img, path: join(fx.project.root, 'never-there.png') }));
    expect(e.code).toBe('E_HOSTING_INPUT_MISSING');
    expect(e.exitCode).toBe(66);
  });
});

describe('secrets and failures', () => {
  it('keeps secrets out of URL records, which are owner-only and keep no presigned URL', async () => {
    const img = await fx.project.image('p.png', 'p');
    expect((await hosting().urlFor(img)).url).toContain('X-Amz-Signature=');
    const records = await fx.project.hostedRecords();
    expect(records).toHaveLength(1);
    for (const r of records) {
      expect(r.text).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
      expect(r.text).not.toContain(TEST_AWS_ENV.AWS_ACCESS_KEY_ID);
      expect(r.text).not.toContain('X-Amz-');
      expect(JSON.parse(r.text)).toEqual({
        version: 1,
        hosted_at: expect.any(String),
        expires_at: null,
        media_type: 'image/png',
      });
      expect((await stat(r.path)).mode & 0o777).toBe(0o600);
    }
  });

  it('maps rejected credentials to exit 77 without echoing keys', async () => {
    const img = await fx.project.image('q.png', 'q');
    const env = { ...TEST_AWS_ENV, AWS_ACCESS_KEY_ID: 'AKIAKONTEXTUNKNOWN01' };
    const e = await failure(hosting({}, env).urlFor(img));
    expect(e.code).toBe('E_HOSTING_DENIED');
    expect(e.exitCode).toBe(77);
    const text = `${e.message} ${e.hint ?? ''} ${String((e.cause as Error | undefined)?.message)}`;
    expect(text).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
    expect(text).not.toContain('AKIAKONTEXTUNKNOWN01');
    expect(text).not.toMatch(/X-Amz-(Signature|Credential)/i);
  });

  it('maps a missing bucket to exit 65 and an unreachable endpoint to 69', async () => {
    const img = await fx.project.image('r.png', 'r');
    const noBucket = await failure(hosting({ bucket: 'no-such-bucket' }).urlFor(img));
    expect(noBucket.code).toBe('E_HOSTING_BUCKET');
    expect(noBucket.exitCode).toBe(65);
    const down = await failure(hosting({ endpoint: 'http://127.0.0.1:1' }).urlFor(img));
    expect(down.code).toBe('E_HOSTING_UNAVAILABLE');
    expect(down.exitCode).toBe(69);
  });

  it('rejects a bad hosting block when created', () => {
    expect(() => hosting({ bucket: '' })).toThrow(/bucket/);
    expect(() => hosting({ public_base_url: 'ftp://x' })).toThrow(/public_base_url/);
    expect(() => hosting({ presign_ttl_seconds: 8 * 86_400 })).toThrow(/presign_ttl_seconds/);
    expect(() => hosting({ prefix: 'a/../b' })).toThrow(/prefix/);
  });
});
