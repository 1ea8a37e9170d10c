/**
 * A remote cache that lies or fails never costs a wrong output or a failed run: a tampered
 * blob or record is detected, reported and re-paid (never used); a remote that is down, that
 * rejects the credentials, or that only lets us read, leaves the run to go on with one line.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summaryOf } from '../../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../../helpers/s3-server.js';
import {
  blobKey,
  notices,
  outputsOf,
  overwrite,
  putKeys,
  RECIPE,
  recordKey,
  useWorld,
  warnings,
  type World,
} from './harness.js';
import { startS3Proxy } from './proxy.js';
import { closedPort } from '../../helpers/black-hole.js';

const world = useWorld();

async function entryOf(w: World, node: string): Promise<{ key: string; output_sha256: string }> {
  const e = (await w.a.readLock()).nodes[node];
  if (!e) throw new Error(`no lock entry for ${node}`);
  return e;
}

async function localBlobs(root: string): Promise<string[]> {
  const dir = join(root, '.cache', 'kontext', 'blobs');
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
}

describe('a remote cache that lies', () => {
  it('a tampered blob is reported, not used, and its node is paid again (downstream still hits)', async () => {
    const w = world();
    await w.run(w.a);
    const sky = await entryOf(w, 'sky');
    const original = (await w.s3.readObject(blobKey(sky.output_sha256)))?.body ?? Buffer.alloc(0);
    const tampered = Buffer.concat([original, Buffer.from('tampered')]);
    await overwrite(w, blobKey(sky.output_sha256), tampered);

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4, done: 1 });
    const told = warnings(second);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('does not match its record');
    const a = await outputsOf(w.a);
    const b = await outputsOf(w.b);
    for (const [id, bytes] of a) expect(b.get(id)?.equals(bytes)).toBe(true);
    const bad = createHash('sha256').update(tampered).digest('hex');
    expect(await localBlobs(w.b.root)).not.toContain(bad);
  });

  it('a record whose fields do not hash to its key is reported and not used', async () => {
    const w = world();
    await w.run(w.a);
    const glasses = await entryOf(w, 'glasses');
    const text = (await w.s3.readObject(recordKey(glasses.key)))?.body.toString('utf8') ?? '{}';
    const forged = { ...(JSON.parse(text) as Record<string, unknown>), seed: 99 };
    await overwrite(w, recordKey(glasses.key), Buffer.from(JSON.stringify(forged)));

    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1, cached: 4 });
    expect(warnings(second)).toEqual([expect.stringContaining('do not hash to its key')]);
    expect((await w.b.readLock()).nodes['glasses']?.seed).toBe(13);
  });

  it('a record too large, not JSON, or with a hostile request id is a miss, reported', async () => {
    const w = world();
    await w.run(w.a);
    const glasses = await entryOf(w, 'glasses');
    const scarf = await entryOf(w, 'scarf');
    const rain = await entryOf(w, 'rain');
    await overwrite(w, recordKey(glasses.key), Buffer.alloc(300 * 1024, 32));
    await overwrite(w, recordKey(scarf.key), Buffer.from('{"key": '));
    // Not part of the key, but it would reach the lock file as it is.
    const text = (await w.s3.readObject(recordKey(rain.key)))?.body.toString('utf8') ?? '{}';
    const forged = { ...(JSON.parse(text) as Record<string, unknown>), request_id: 'x\n\u001b[2Jy' };
    await overwrite(w, recordKey(rain.key), Buffer.from(JSON.stringify(forged)));
    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 3, cached: 2 });
    expect(warnings(second)).toHaveLength(3);
    expect(JSON.stringify(await w.b.readLock())).not.toContain('\\u001b');
  });

  it('a finish time Date.parse reads around a bidi override is a miss, reported; the lock never holds it', async () => {
    const w = world();
    await w.run(w.a);
    const rain = await entryOf(w, 'rain');
    const text = (await w.s3.readObject(recordKey(rain.key)))?.body.toString('utf8') ?? '{}';
    const forged = { ...(JSON.parse(text) as Record<string, unknown>), finished_at: '(\u202E) Jan 1 2025' };
    await overwrite(w, recordKey(rain.key), Buffer.from(JSON.stringify(forged)));
    const second = await w.run(w.b);
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, submitted: 1 });
    expect(warnings(second)).toEqual([expect.stringContaining('its finish time is not a date')]);
    expect(JSON.stringify(await w.b.readLock())).not.toMatch(/\u202E/);
  });
});

describe('a remote cache that fails', () => {
  it('down (a closed port): the run goes on without it, with one warning', async () => {
    const w = world();
    const env = w.env({}, `http://127.0.0.1:${await closedPort()}`);
    const run = await w.run(w.a, {}, env);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    expect(warnings(run)).toEqual([expect.stringMatching(/remote cache s3:\/\/kontext-test\/team is not usable/)]);
  });

  it.each([
    ['down', async () => `127.0.0.1:${await closedPort()}`, 'ECONNREFUSED'],
    ['not a URL', async () => '[::1', 'Invalid URL'],
  ])(
    'an endpoint written with credentials (http://id:secret@…), %s: one warning naming neither',
    async (_, host, why) => {
      const w = world();
      const env = w.env({}, `http://AKIAUSERINFO7:userinfo-secret-3c1d@${await host()}`);
      const run = await w.run(w.a, {}, env);
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 5 });
      expect(warnings(run)).toEqual([expect.stringContaining(why)]);
      const said = JSON.stringify(run.events);
      for (const secret of ['AKIAUSERINFO7', 'userinfo-secret-3c1d']) expect(said).not.toContain(secret);
    },
  );

  it('credentials it does not know: the run goes on without it, with one warning and no secret', async () => {
    const w = world();
    const run = await w.run(w.a, {}, w.env({ AWS_ACCESS_KEY_ID: 'NOT-A-KEY' }));
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 5 });
    const told = warnings(run);
    expect(told).toEqual([expect.stringContaining('InvalidAccessKeyId')]);
    expect(told[0]).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
    expect(putKeys(w.s3)).toEqual([]);
  });

  it('read-only credentials: hits are used, uploads stop after the first AccessDenied, said once', async () => {
    const w = world();
    await w.run(w.a);
    const proxy = await startS3Proxy(w.s3.endpoint, { denyWrites: true });
    try {
      const extra = (id: string, seed: number): string =>
        `  - id: ${id}\n    prompt: "Add a ${id}"\n    from: photo\n    seed: ${seed}\n`;
      const more = `${RECIPE}${extra('hat', 16)}${extra('cap', 17)}`;
      await w.b.writeRecipe(more);
      const puts = putKeys(w.s3).length;
      const run = await w.run(w.b, {}, w.env({}, proxy.endpoint));
      expect(summaryOf(run)).toMatchObject({ exitCode: 0, cached: 5, submitted: 2 });
      expect(warnings(run)).toEqual([]);
      expect(notices(run)).toEqual([expect.stringContaining('read-only credentials')]);
      // The two uploads may both be on the wire when the first refusal comes back; none starts after.
      const refused = proxy.seen.filter((s) => s.startsWith('PUT')).length;
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(refused).toBeLessThanOrEqual(2);
      expect(putKeys(w.s3)).toHaveLength(puts);
    } finally {
      await proxy.close();
    }
  });
});
