/** A throwaway project folder (with a `.kontext` cache dir) and images written into it. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { HostableImage, Hosting } from '../../../src/hosting/index.js';
import { startS3Server, type TestS3Server } from '../../helpers/s3-server.js';
import { pngHolding } from '../../helpers/test-images.js';
import { bufferReader, probeImage } from '../../../src/util/image-probe.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';

export interface TestProject {
  readonly root: string;
  readonly cacheDir: string;
  /**
   * Write an image at `rel` inside the project and describe it as the runner would: `bytes` as
   * they are when they are a whole image, else a 1x1 PNG carrying them (hosting sends only images).
   */
  image(rel: string, bytes: Uint8Array | string): Promise<HostableImage>;
  /** Every file under the cache dir's `hosted/` folder, with its text. */
  hostedRecords(): Promise<{ path: string; text: string }[]>;
  cleanup(): Promise<void>;
}

export async function createTestProject(): Promise<TestProject> {
  const root = await mkdtemp(join(tmpdir(), 'kontext-hosting-'));
  const cacheDir = join(root, '.kontext');
  return {
    root,
    cacheDir,
    async image(rel, content) {
      const path = join(root, rel);
      await mkdir(dirname(path), { recursive: true });
      const given = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
      const bytes = (await probeImage(bufferReader(given))).ok ? given : pngHolding(given);
      await writeFile(path, bytes);
      return {
        path,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
      };
    },
    async hostedRecords() {
      const dir = join(cacheDir, 'hosted');
      const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
      return Promise.all(
        names.map(async (d) => ({
          path: join(d.parentPath, d.name),
          text: await readFile(join(d.parentPath, d.name), 'utf8'),
        })),
      );
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A controllable clock around the real one (s3rver checks presigned URLs against real time). */
export function testClock(): { now(): number; advance(ms: number): void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

export function testRuntime(env: Record<string, string>, now: () => number = () => Date.now()): Runtime {
  return createRuntime({ env, now, sleep: async () => undefined });
}

/**
 * The set-up S3 hosting tests share: a fresh s3rver and project for each test, and every
 * hosting made through `track` closed after it. Read `fx.s3` / `fx.project` inside tests.
 */
export function useS3Fixture(): { s3: TestS3Server; project: TestProject; track(h: Hosting): Hosting } {
  const open: Hosting[] = [];
  const fx = {
    s3: undefined as unknown as TestS3Server,
    project: undefined as unknown as TestProject,
    track(h: Hosting): Hosting {
      open.push(h);
      return h;
    },
  };
  beforeEach(async () => {
    fx.s3 = await startS3Server();
    fx.project = await createTestProject();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close?.()));
    await fx.s3.close();
    await fx.project.cleanup();
  });
  return fx;
}
