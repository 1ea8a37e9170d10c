/**
 * End to end at the hosting layer: an image uploaded to the local S3 server is submitted to the
 * emulator as a presigned URL, and the emulator fetches it over loopback like RunComfy would.
 * Also the runner's "could not fetch → re-host once and retry" path, with `forceRefresh`.
 */
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.js';
import { createHosting, type Hosting } from '../../../src/hosting/index.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { createTestProject, testRuntime, type TestProject } from './project.js';

const MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

let s3: TestS3Server;
let em: EmulatorHandle;
let project: TestProject;
let hosting: Hosting;

beforeEach(async () => {
  s3 = await startS3Server();
  em = await startEmulator({ queueMs: 5, runMs: 5 });
  project = await createTestProject();
  hosting = createHosting(
    { mode: 's3', bucket: s3.bucket, prefix: 'inputs', endpoint: s3.endpoint, force_path_style: true },
    {
      rt: testRuntime({ ...TEST_AWS_ENV }),
      cacheDir: project.cacheDir,
      projectRoot: project.root,
      allowPrivateUrls: true,
    },
  );
});

afterEach(async () => {
  await hosting.close?.();
  await em.close();
  await s3.close();
  await project.cleanup();
});

/** Submit one edit and wait for its result body. */
async function edit(imageUrl: string): Promise<{ status: string; output?: { image: string }; error?: unknown }> {
  const headers = { authorization: 'Bearer test-token', 'content-type': 'application/json' };
  const submitted = await fetch(`${em.baseUrl}/models/${MODEL}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ prompt: 'Make the sky pink', image_url: imageUrl, seed: 3 }),
  });
  expect(submitted.status).toBe(200);
  const { request_id: id } = (await submitted.json()) as { request_id: string };
  for (let i = 0; i < 400; i += 1) {
    const result = (await (await fetch(`${em.baseUrl}/requests/${id}/result`, { headers })).json()) as {
      status: string;
    };
    if (result.status !== 'in_queue' && result.status !== 'in_progress') return result;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the emulator did not finish');
}

describe('hosted inputs reach the emulator', () => {
  it('fetches a presigned URL from the local S3 server', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
      .png()
      .toBuffer();
    const img = await project.image('assets/sky.png', png);
    const hosted = await hosting.urlFor(img);

    const result = await edit(hosted.url);
    expect(result.status).toBe('succeeded');
    expect(result.output?.image).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\//);
    expect(s3.requests.filter((r) => r.method === 'GET' && r.presigned && r.status === 200)).toHaveLength(1);
  });

  it('fails on a vanished object, then succeeds after a forced re-host', async () => {
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#cc3366' } })
      .png()
      .toBuffer();
    const img = await project.image('assets/red.png', png);
    const hosted = await hosting.urlFor(img);
    await s3.deleteObject(`inputs/${img.sha256}.png`);

    const failed = await edit((await hosting.urlFor(img)).url);
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed.error)).not.toContain('X-Amz-Signature');

    const rehosted = await hosting.urlFor(img, { forceRefresh: true });
    expect(rehosted).toMatchObject({ via: 's3', uploaded: true });
    expect(rehosted.url.split('?')[0]).toBe(hosted.url.split('?')[0]);
    expect((await edit(rehosted.url)).status).toBe('succeeded');
    expect(s3.count('PUT')).toBe(2);
  });
});
