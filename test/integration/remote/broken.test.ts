/**
 * A remote record whose blob is missing, replaced, or hashing to the record's sha256 but not a
 * whole image (an HTML page, a zip, a PNG garbled inside or cut short): one warning, a miss,
 * never written to out/ nor sent to the provider as a later pass's input; and the machine that
 * pays for the node again puts the remote right, so a third machine pays nothing.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createProject, summaryOf, type Project } from '../../helpers/run-fixtures.js';
import {
  blobKey,
  notices,
  outputsOf,
  overwrite,
  RECIPE,
  recordKey,
  useWorld,
  warnings,
  type World,
} from './harness.js';
import { startS3Proxy } from './proxy.js';

const world = useWorld();
const extra: Project[] = [];
afterEach(async () => {
  for (const p of extra.splice(0)) await p.cleanup();
});

async function entryOf(w: World, node: string): Promise<{ key: string; output_sha256: string }> {
  const e = (await w.a.readLock()).nodes[node];
  if (!e) throw new Error(`no lock entry for ${node}`);
  return e;
}

/** A third machine: its own project copy and cache. */
async function third(): Promise<Project> {
  const c = await createProject(RECIPE);
  extra.push(c);
  return c;
}

/** The sky's record on the remote, pointed at `blob`, which is written under its sha256. */
async function pointAt(w: World, node: string, blob: Buffer): Promise<void> {
  const e = await entryOf(w, node);
  const text = (await w.s3.readObject(recordKey(e.key)))?.body.toString('utf8') ?? '{}';
  const sha = createHash('sha256').update(blob).digest('hex');
  await overwrite(w, blobKey(sha), blob);
  await overwrite(w, recordKey(e.key), Buffer.from(JSON.stringify({ ...JSON.parse(text), output_sha256: sha })));
}

function garbled(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const at = out.indexOf('IDAT') + 40;
  out[at] = (out[at] ?? 0) ^ 0xff;
  return out;
}

const BAD: [string, (png: Buffer) => Buffer, RegExp][] = [
  ['an HTML page', () => Buffer.from('<!doctype html><html><body>Sign in</body></html>'), /not an image/],
  ['a zip', () => Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000\u0008\u0000zipzipzip'), /not an image/],
  ['a PNG garbled inside (chunk CRC)', garbled, /not a whole image/],
  ['a PNG cut short', (png) => png.subarray(0, Math.floor(png.length / 2)), /not a whole image/],
];

describe('a remote record whose blob is unusable', () => {
  it('its blob gone: one warning, paid again, and the payer uploads it again: a third machine pays 0', async () => {
    const w = world();
    await w.run(w.a);
    const sky = await entryOf(w, 'sky');
    await w.s3.deleteObject(blobKey(sky.output_sha256));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4 });
    expect(warnings(second)).toEqual([expect.stringContaining('its output blob is missing; not used')]);

    const c = await third();
    const last = await w.run(c);
    expect(summaryOf(last)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(warnings(last)).toEqual([]);
  });

  it('its blob gone, and the payer cut off before uploading: its next run still replaces the record', async () => {
    const w = world();
    await w.run(w.a);
    const sky = await entryOf(w, 'sky');
    await w.s3.deleteObject(blobKey(sky.output_sha256));
    const proxy = await startS3Proxy(w.s3.endpoint, {
      answer: (req, res) => {
        if (req.method !== 'PUT') return false;
        req.resume();
        res.writeHead(503).end();
        return true;
      },
    });
    try {
      const second = await w.run(w.b, {}, w.env({}, proxy.endpoint));
      expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4 });
    } finally {
      await proxy.close();
    }
    const resumed = await w.run(w.b);
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(notices(resumed)).toContainEqual(expect.stringContaining('uploading 1 result an earlier run left'));

    const last = await w.run(await third());
    expect(summaryOf(last)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(warnings(last)).toEqual([]);
  });

  it('a blob a killed upload left cut short, its record not sent: the next upload sends the blob again', async () => {
    // s3rver keeps part of a PUT its client died in; the next run's upload took it for there (HEAD)
    // and sent the record over it, so every other machine refused it and paid (CI, remote-crash).
    const w = world();
    await w.run(w.a);
    const sky = await entryOf(w, 'sky');
    const original = (await w.s3.readObject(blobKey(sky.output_sha256)))?.body ?? Buffer.alloc(0);
    await overwrite(w, blobKey(sky.output_sha256), original.subarray(0, original.length >> 1));
    await overwrite(w, recordKey(sky.key), null);
    const notes = join(w.a.cacheDir, 'remote-pending');
    await mkdir(notes, { recursive: true });
    await writeFile(join(notes, sky.key), `s3://${w.s3.bucket}/team`);

    const resumed = await w.run(w.a);
    expect(notices(resumed)).toContainEqual(expect.stringContaining('uploading 1 result an earlier run left'));
    expect((await w.s3.readObject(blobKey(sky.output_sha256)))?.body.equals(original)).toBe(true);
    const other = await w.run(w.b);
    expect(summaryOf(other)).toMatchObject({ exitCode: 0, submitted: 0 });
    expect(warnings(other)).toEqual([]);
  });

  it('its blob replaced by other bytes under its name: one warning, paid again, then healed', async () => {
    const w = world();
    await w.run(w.a);
    const sky = await entryOf(w, 'sky');
    const original = (await w.s3.readObject(blobKey(sky.output_sha256)))?.body ?? Buffer.alloc(0);
    await overwrite(w, blobKey(sky.output_sha256), Buffer.concat([original, Buffer.from('tampered')]));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4 });
    expect(warnings(second)).toEqual([expect.stringContaining('does not match its record')]);
    expect((await w.s3.readObject(blobKey(sky.output_sha256)))?.body.equals(original)).toBe(true);

    const last = await w.run(await third());
    expect(summaryOf(last)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
    expect(warnings(last)).toEqual([]);
  });

  it.each(BAD)(
    'its blob %s (sha256 matching): one warning, never in out/ nor an input, then healed',
    async (_, bad, why) => {
      const w = world();
      await w.run(w.a);
      const honest = await outputsOf(w.a);
      await pointAt(w, 'sky', bad(honest.get('sky') ?? Buffer.alloc(0)));
      const paidBefore = w.rig.submits().length;

      const second = await w.run(w.b);
      // The sky is paid again; the snow below it is a hit on the honest output's key.
      expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4 });
      expect(w.rig.submits().length - paidBefore).toBe(1);
      const told = warnings(second);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(why);
      const got = await outputsOf(w.b);
      for (const [id, bytes] of honest) expect(got.get(id)?.equals(bytes), id).toBe(true);

      const c = await third();
      const last = await w.run(c);
      expect(summaryOf(last)).toMatchObject({ exitCode: 0, submitted: 0, cached: 5 });
      expect(warnings(last)).toEqual([]);
    },
  );
});
