/**
 * Hosting sends only whole images: a PNG cut short, text behind a PNG signature, a header
 * declaring 40000x40000 pixels, or a PNG garbled in the middle (a chunk's CRC-32) is refused
 * (exit 65, naming the file) by every mode before any byte leaves — no S3 request, the upload
 * command never runs — and a URL recorded earlier for such a file is not handed out either.
 * Bytes after a whole image (a camera's trailer, a motion photo's video) are no reason to
 * refuse it: decoders stop at the image's end.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHosting, HostingError, type HostableImage, type HostingConfig } from '../../../src/hosting/index.js';
import { fingerprint, recordPath, writeRecord } from '../../../src/hosting/url-cache.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import { ASSETS } from '../../helpers/run-fixtures.js';
import { bombPng, damagedPng, pngHolding, truncatedPng } from '../../helpers/test-images.js';
import { testRuntime, useS3Fixture } from './project.js';

const fx = useS3Fixture();

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const LIES: readonly { readonly name: string; readonly bytes: Buffer; readonly says: RegExp }[] = [
  { name: 'cut.png', bytes: truncatedPng(), says: /not a whole image \(PNG: does not end with an IEND chunk/ },
  {
    name: 'dotenv.png',
    bytes: Buffer.concat([SIGNATURE, Buffer.from('AWS_SECRET_ACCESS_KEY=hunter2\n')]),
    says: /not a whole image \(PNG: no IHDR header\)/,
  },
  { name: 'bomb.png', bytes: bombPng(40_000), says: /declares 40000x40000 pixels \(1600 MP\), over the 268 MP/ },
  {
    name: 'garbled.png',
    bytes: damagedPng().bytes,
    says: new RegExp(
      `not a whole image \\(PNG: the IDAT chunk at byte ${damagedPng().idatAt} fails its CRC-32 check\\)`,
    ),
  },
  {
    name: 'spliced.png',
    bytes: Buffer.concat([
      pngHolding('x', 8, 8).subarray(0, 33),
      Buffer.from('not pixels'),
      pngHolding().subarray(-12),
    ]),
    says: /not a whole image \(PNG: the chunk at byte 33 runs past the end of the file\)/,
  },
];

/** Write `bytes` as they are, described as the runner would describe the file. */
async function rawImage(name: string, bytes: Buffer): Promise<HostableImage> {
  const path = join(fx.project.root, name);
  await writeFile(path, bytes);
  return {
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}

async function refusal(p: Promise<unknown>): Promise<HostingError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HostingError);
  return e as HostingError;
}

function hostingFor(config: HostingConfig) {
  return fx.track(
    createHosting(config, {
      rt: testRuntime({ ...TEST_AWS_ENV, PATH: process.env['PATH'] ?? '/usr/bin:/bin' }),
      cacheDir: fx.project.cacheDir,
      projectRoot: fx.project.root,
    }),
  );
}

describe('non-images are never hosted', () => {
  it('inline, s3 and command refuse each lie with exit 65 naming the file; nothing is sent or run', async () => {
    const ran = join(fx.project.root, 'command-ran');
    const modes: HostingConfig[] = [
      { mode: 'inline' },
      { mode: 's3', bucket: fx.s3.bucket, endpoint: fx.s3.endpoint, force_path_style: true },
      { mode: 'command', command: `touch "${ran}"; echo "https://cdn.example.test/$KONTEXT_SHA256"` },
    ];
    for (const lie of LIES) {
      const image = await rawImage(lie.name, lie.bytes);
      for (const config of modes) {
        const e = await refusal(hostingFor(config).urlFor(image));
        expect(e.code, `${config.mode} ${lie.name}`).toBe('E_HOSTING_INPUT_REFUSED');
        expect(e.exitCode).toBe(65);
        expect(e.message).toContain(`refusing to host ${image.path}: `);
        expect(e.message).toMatch(lie.says);
        expect(e.message).not.toContain('\n');
      }
    }
    expect(fx.s3.requests).toEqual([]);
    expect(existsSync(ran)).toBe(false);
  });

  it('a fresh URL recorded earlier for a file that is not a whole image is not handed out', async () => {
    const image = await rawImage('cut.png', truncatedPng());
    const config: HostingConfig = { mode: 'command', command: 'echo https://cdn.example.test/x.png' };
    const file = recordPath(
      fx.project.cacheDir,
      'command',
      fingerprint({ mode: 'command', command: config.command }),
      image.sha256,
    );
    await writeRecord(file, {
      url: 'https://cdn.example.test/x.png',
      hostedAt: Date.now(),
      expiresAt: null,
      mediaType: 'image/png',
    });
    const e = await refusal(hostingFor(config).urlFor(image));
    expect(e.code).toBe('E_HOSTING_INPUT_REFUSED');
  });

  it('a JPEG or PNG with bytes after its end is sent as it is; one cut short is refused', async () => {
    const jpeg = await readFile(join(ASSETS, 'portrait-astronaut.jpg'));
    // A trailer that holds FF D9 itself: the image ends at the first EOI after its scan data.
    const trailer = Buffer.concat([Buffer.from('MotionPhoto_Data'), Buffer.from([0xff, 0xd9, 0, 1, 2])]);
    const inline = hostingFor({ mode: 'inline' });
    for (const [name, bytes] of [
      ['camera.jpg', Buffer.concat([jpeg, trailer])],
      ['tail.png', Buffer.concat([pngHolding('whole', 4, 4), trailer])],
    ] as const) {
      const hosted = await inline.urlFor(await rawImage(name, bytes));
      expect(Buffer.from(hosted.url.split(',')[1] ?? '', 'base64').equals(bytes)).toBe(true);
    }
    const cut = await rawImage('cut.jpg', jpeg.subarray(0, jpeg.length - 100));
    const e = await refusal(inline.urlFor(cut));
    expect(e.message).toMatch(/not a whole image \(JPEG: does not end with an EOI marker/);
  });
});
