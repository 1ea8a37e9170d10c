/**
 * `hosting: s3` end to end against a real S3-compatible server (s3rver on 127.0.0.1): the
 * emulator (as the RunComfy API) fetches presigned or public URLs over loopback. Proves one
 * upload per distinct source image, no upload of intermediate outputs, a second run that
 * uploads and submits nothing, and re-signing (not re-uploading) once recorded URLs expire.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { problemLines, type HostingConfig, type KontextError } from '../../../src/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, useS3Project, failures, submittedUrls, summaryOf, type Project } from './harness.js';
import { CHAIN, recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const hosting = (extra: Partial<Extract<HostingConfig, { mode: 's3' }>> = {}): HostingConfig => s3Hosting(s3, extra);

const presignedGets = (): number =>
  s3.requests.filter((r) => r.method === 'GET' && r.presigned && r.status === 200).length;

async function hostedRecords(): Promise<{ url?: string; hosted_at: string; expires_at: string | null }[]> {
  const dir = join(project.cacheDir, 'hosted');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
  return Promise.all(
    files.map(
      async (d) =>
        JSON.parse(await readFile(join(d.parentPath, d.name), 'utf8')) as {
          url?: string;
          hosted_at: string;
          expires_at: string | null;
        },
    ),
  );
}

describe('kontext run with hosting: s3 (presigned URLs)', () => {
  it('uploads each distinct source once, chains remote URLs, and a second run does nothing', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    const first = await project.run();
    expect(failures(first)).toEqual([]);
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });

    // Three distinct local images: three PUTs (each after a HEAD), with the right type.
    const puts = s3.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(3);
    expect(new Set(puts.map((r) => r.path)).size).toBe(3);
    for (const put of puts) expect(put.path).toMatch(/^\/kontext-test\/inputs\/[0-9a-f]{64}\.jpg$/);
    expect(puts.every((r) => r.contentType === 'image/jpeg')).toBe(true);
    expect(s3.count('HEAD')).toBe(3);
    // The emulator fetched each source through its presigned URL; chained passes used its own output URLs.
    expect(presignedGets()).toBe(3);
    const urls = submittedUrls(project);
    expect(
      urls.filter((u) => u.url.startsWith(`${s3.endpoint}/kontext-test/inputs/`) && u.url.endsWith('?…')),
    ).toHaveLength(3);
    expect(urls.filter((u) => u.url.startsWith(`${project.emulator.origin}/files/`))).toHaveLength(CHAIN.length - 1);

    const records = await hostedRecords();
    expect(records).toHaveLength(3);
    // No presigned URL is kept (it holds the credentials' id, and a session token when there is one).
    expect(records.every((r) => r.url === undefined && r.expires_at === null)).toBe(true);

    const before = s3.requests.length;
    const second = await project.run();
    expect(summaryOf(second)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(project.submits()).toHaveLength(5);
    expect(s3.requests.length).toBe(before);
  });

  it('signs a new URL from the record of an uploaded object, hours later, without uploading again', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    const firstRecords = await hostedRecords();

    // Two hours later a 1 h presigned URL would be stale; forcing the source passes needs URLs again.
    const offset = 2 * 3600_000;
    const again = await project.run({ now: () => Date.now() + offset, options: { force: ['background', 'label'] } });
    expect(failures(again)).toEqual([]);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 3 });
    expect(s3.count('PUT')).toBe(3);
    // The records are over an hour old: one HEAD each (is the object still there?), then signed anew.
    expect(s3.count('HEAD')).toBe(6);
    expect(presignedGets()).toBe(6);
    expect(await hostedRecords()).toEqual(firstRecords);
  });

  it('hosts again, without uploading, an image whose record kept a presigned URL, and keeps none', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    // As an older kontext wrote them: a presigned URL with a session token in each record.
    const dir = join(project.cacheDir, 'hosted');
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile());
    const token = 'FwoGZXIvYXdzEBYaDOLDSESSIONTOKEN';
    for (const d of files) {
      const path = join(d.parentPath, d.name);
      const rec = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      const url = `${s3.endpoint}/${s3.bucket}/inputs/x.jpg?X-Amz-Security-Token=${token}&X-Amz-Signature=beef`;
      const expires = new Date(Date.now() + 3600_000).toISOString();
      await writeFile(path, JSON.stringify({ ...rec, url, expires_at: expires }));
    }
    const again = await project.run({ options: { force: ['background', 'label'] } });
    expect(failures(again)).toEqual([]);
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, submitted: 3 });
    expect(s3.count('PUT')).toBe(3);
    expect(presignedGets()).toBe(6);
    const records = await hostedRecords();
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.url === undefined && r.expires_at === null)).toBe(true);
    for (const d of files) expect(await readFile(join(d.parentPath, d.name), 'utf8')).not.toContain(token);
  });

  it('refuses a presign TTL under 15 min in the recipe, naming its line, before any upload', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting({ presign_ttl_seconds: 899 }) }));
    const e = await project.run().then(
      () => null,
      (err: unknown) => err as KontextError,
    );
    expect(e?.exitCode).toBe(65);
    expect(e && problemLines(e).join('\n')).toMatch(
      /recipe\.yml:4:\d+: hosting\.presign_ttl_seconds: must be >= 900, got 899/,
    );
    expect(s3.requests).toEqual([]);
    expect(project.submits()).toEqual([]);
  });
});

describe('kontext run with hosting: s3 (public_base_url)', () => {
  it('passes public object URLs (no signature) that the API fetches anonymously', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting({ public_base_url: `${s3.endpoint}/${s3.bucket}` }) }));
    // A base URL the user config does not name: the recipe's choice, so trusted explicitly.
    const first = await project.run({ options: { trustRecipeHosting: true } });
    expect(failures(first)).toEqual([]);
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, done: 5 });
    expect(s3.count('PUT')).toBe(3);

    const gets = s3.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/kontext-test/inputs/'));
    expect(gets).toHaveLength(3);
    expect(gets.every((r) => !r.presigned && r.status === 200)).toBe(true);
    const sourceUrls = submittedUrls(project).filter((u) => u.url.startsWith(s3.endpoint));
    expect(sourceUrls).toHaveLength(3);
    expect(sourceUrls.every((u) => !u.url.includes('?'))).toBe(true);
    expect((await hostedRecords()).every((r) => r.expires_at === null)).toBe(true);

    // Public URLs never expire: a much later run reuses the records, after one HEAD (is the
    // object still there, or did a lifecycle rule delete it?), and uploads nothing.
    const before = s3.requests.length;
    const later = await project.run({
      now: () => Date.now() + 30 * 86_400_000,
      options: { force: ['background'], trustRecipeHosting: true },
    });
    expect(summaryOf(later)).toMatchObject({ exitCode: 0, submitted: 1 });
    const calls = s3.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(calls.map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 200']);
  });
});
