/**
 * `kontext gc` and the hosting records (`<cache>/hosted/<mode>-<fingerprint>/<sha256>.json`): a
 * command's record whose URL has expired goes (it may be signed: a secret no run uses again), as
 * does an s3 record an older kontext wrote with a presigned URL; live ones stay unchanged; a torn
 * one goes once a day old; crash-left temps beside them go with the other temps; a dry run counts.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordPath, writeRecord } from '../../../src/hosting/url-cache.js';
import { age, DAY, exists, gc, now, rig, sha, useGcRig } from './gc-rig.js';

useGcRig();

/** A record as src/hosting writes it, for image `seed` under `mode`. */
async function record(mode: 'command' | 's3', seed: string, url: string | null, expiresAt: number | null) {
  const path = recordPath(rig.store.root, mode, 'f'.repeat(16), sha(seed));
  await writeRecord(path, { url, hostedAt: now - DAY, expiresAt, mediaType: 'image/png' });
  return path;
}

const textOf = async (path: string): Promise<string> => `${await readFile(path, 'utf8')} ${(await stat(path)).mtimeMs}`;

describe('gcStore: hosting records', () => {
  it('removes expired command URLs and s3 records that keep a presigned URL; keeps the rest unchanged', async () => {
    const signed = 'https://cdn.example/a.png?token=kontext-canary-signed';
    const expired = await record('command', 'expired', signed, now - 60_000);
    const legacy = await record('s3', 'legacy', 'https://b.s3.example/k.png?X-Amz-Security-Token=canary', now + DAY);
    const live = await record('command', 'live', signed, now + 3_600_000);
    const forever = await record('command', 'forever', 'https://cdn.example/b.png', null);
    const s3 = await record('s3', 'object', null, null);
    const kept = [live, forever, s3];
    const before = await Promise.all(kept.map(textOf));
    const bytes = (await stat(expired)).size + (await stat(legacy)).size;

    const dry = await gc({ dryRun: true, lockFiles: [] });
    expect(dry.staleHosted).toEqual({ files: 2, bytes });
    expect(await exists(expired)).toBe(true);

    const report = await gc({ lockFiles: [] });
    expect(report.staleHosted).toEqual({ files: 2, bytes });
    expect(await exists(expired)).toBe(false);
    expect(await exists(legacy)).toBe(false);
    expect(await Promise.all(kept.map(textOf))).toEqual(before);
    expect(report.removed).toEqual({ records: 0, blobs: 0, bytes: 0 });
    expect((await gc({ lockFiles: [] })).staleHosted).toEqual({ files: 0, bytes: 0 });
  });

  it('removes a torn record a day old (a younger one may be mid-write) and crash-left temps beside them', async () => {
    const live = await record('command', 'live', 'https://cdn.example/c.png', null);
    const dir = join(live, '..');
    const torn = join(dir, `${sha('torn')}.json`);
    const young = join(dir, `${sha('young')}.json`);
    const temp = join(dir, `.${sha('temp')}.json.0123abcd.tmp`);
    await mkdir(dir, { recursive: true });
    for (const p of [torn, young, temp]) await writeFile(p, '{"version":1,"url":"https://cdn.exam');
    await age([torn, temp], 2 * DAY);

    const report = await gc({ lockFiles: [] });
    expect(report.staleHosted.files).toBe(1);
    expect(report.staleTemps.files).toBe(1);
    expect(await exists(torn)).toBe(false);
    expect(await exists(temp)).toBe(false);
    expect(await exists(young)).toBe(true);
    expect(await exists(live)).toBe(true);
  });
});
