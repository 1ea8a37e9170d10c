/**
 * When a URL stops working: the API could not fetch a hosted image (the object vanished while
 * its record still looked fresh) → the runner re-hosts once and retries; and a cached upstream
 * output whose provider URL is past the remote-URL TTL is re-hosted from the blob store.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import type { TestS3Server } from '../../helpers/s3-server.js';
import { s3Hosting, useS3Project, failures, outputsOf, submittedUrls, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

let s3: TestS3Server;
let project: Project;
useS3Project((server, p) => {
  s3 = server;
  project = p;
});

const hosting = (): HostingConfig => s3Hosting(s3);

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('re-hosting during a run', () => {
  it('re-hosts once and retries when the API could not fetch a still-"fresh" hosted URL', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    const portraitSha = await sha256Of(join(project.root, 'assets', 'portrait.jpg'));
    await s3.deleteObject(`inputs/${portraitSha}.jpg`);

    await project.writeRecipe(
      recipeYaml({
        hosting: hosting(),
        prompts: { background: 'Keep the person unchanged. Replace the background with a snowy forest.' },
      }),
    );
    const seen = project.submits().length;
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 3, cached: 2 });

    const retries = run.events.filter((e) => e.type === 'warning' && e.node === 'background');
    expect(retries).toHaveLength(1);
    const background = submittedUrls(project, seen).filter((u) => u.prompt.includes('snowy forest'));
    expect(background).toHaveLength(2);
    expect(
      s3.requests.filter((r) => r.method === 'PUT' && r.path === `/kontext-test/inputs/${portraitSha}.jpg`),
    ).toHaveLength(2);
    expect(s3.count('PUT')).toBe(4);
    // The downstream passes ran on the retried output, passed on by URL.
    expect(
      submittedUrls(project, seen).filter((u) => u.url.startsWith(`${project.emulator.origin}/files/`)),
    ).toHaveLength(2);
    const out = outputsOf(run).get('umbrella');
    expect(out).toBeDefined();
    expect((await sharp(out ?? '').metadata()).width).toBeGreaterThan(0);
  });

  it('an hour-old record whose object a lifecycle rule deleted is checked first: re-uploaded, paid once', async () => {
    // Hosted two hours ago with day-long URLs: the record still looks fresh.
    const dayLong = s3Hosting(s3, { presign_ttl_seconds: 86_400 });
    await project.writeRecipe(recipeYaml({ hosting: dayLong }));
    expect(summaryOf(await project.run({ now: () => Date.now() - 2 * 3_600_000 })).exitCode).toBe(0);
    const portraitSha = await sha256Of(join(project.root, 'assets', 'portrait.jpg'));
    await s3.deleteObject(`inputs/${portraitSha}.jpg`);

    await project.writeRecipe(
      recipeYaml({
        hosting: dayLong,
        prompts: { background: 'Keep the person unchanged. Replace the background with a snowy forest.' },
      }),
    );
    const seen = project.submits().length;
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    expect(run.events.filter((e) => e.type === 'warning')).toEqual([]);
    expect(submittedUrls(project, seen).filter((u) => u.prompt.includes('snowy forest'))).toHaveLength(1);
    const key = `/kontext-test/inputs/${portraitSha}.jpg`;
    expect(s3.requests.filter((r) => r.method === 'PUT' && r.path === key)).toHaveLength(2);
  });

  it('an object that is there, under a URL not expired: not sent again, whatever second it is signed in', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    project.emulator.setScenario({
      faults: [{ kind: 'remote-failed', error: { code: 'image_fetch_failed', message: 'could not fetch image_url' } }],
    });
    const seen = project.submits().length;
    // The clock moves on after the first submit: the URL signed again differs from the one that failed,
    // but it names the same object, which a HEAD finds, under a signature as valid: it would fail alike.
    const now = (): number => Date.now() + (project.submits().length > seen ? 60_000 : 0);
    const run = await project.run({ options: { force: ['background'] }, now });
    expect(summaryOf(run).exitCode).toBe(1);
    expect(project.submits().length - seen).toBe(1);
    expect(s3.count('PUT')).toBe(3);
    const failed = run.events.find((e) => e.type === 'node-failed');
    expect(failed?.type === 'node-failed' ? failed.hint : '').toMatch(/hosting it again gave nothing new/);
  });

  it('under --max-cost for one request, the retry after a failed fetch is not sent (walk-q)', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    const first = await project.run();
    expect(summaryOf(first)).toMatchObject({ exitCode: 0, submitted: 5 });
    const price = (summaryOf(first).costUsd ?? Number.NaN) / 5;
    expect(price).toBeGreaterThan(0);
    project.emulator.setScenario({
      faults: [{ kind: 'remote-failed', error: { code: 'image_fetch_failed', message: 'could not fetch image_url' } }],
    });
    await s3.deleteObject(`inputs/${await sha256Of(join(project.root, 'assets', 'portrait.jpg'))}.jpg`);
    const seen = project.submits().length;
    const only = { only: ['background'], force: ['background'] };
    const run = await project.run({ options: { ...only, maxCostUsd: price } });
    expect(project.submits().length - seen).toBe(1);
    expect(summaryOf(run).exitCode).toBe(65);
    expect(failures(run)).toEqual([expect.stringMatching(/^background: E_MAX_COST submitting background /)]);
  });

  it("an upstream's output URL that failed, its blob already in the bucket: retried via S3 (review-w)", async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    const first = await project.run();
    expect(summaryOf(first).exitCode).toBe(0);
    const raincoatSha = await sha256Of(outputsOf(first).get('raincoat') ?? '');
    // Twenty minutes on, raincoat's output URL is stale: umbrella's input goes to the bucket.
    const umbrella = (color: string) => `Keep everything else unchanged. Add a ${color} umbrella in her hand.`;
    await project.writeRecipe(recipeYaml({ hosting: hosting(), prompts: { umbrella: umbrella('red') } }));
    const late = await project.run({ now: () => Date.now() + 20 * 60_000 });
    expect(summaryOf(late)).toMatchObject({ exitCode: 0, done: 1 });
    const put = `/kontext-test/inputs/${raincoatSha}.png`;
    expect(s3.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toContain(put);
    // Now the output URL is fresh again: umbrella is sent it, and that fetch fails once. Hosted on
    // S3 instead (the blob is there: no upload), it is another URL that may fetch: sent again.
    project.emulator.setScenario({
      faults: [{ kind: 'remote-failed', nth: 1, error: { code: 'image_fetch_failed', message: 'could not fetch' } }],
    });
    await project.writeRecipe(recipeYaml({ hosting: hosting(), prompts: { umbrella: umbrella('blue') } }));
    const seen = project.submits().length;
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 1 });
    const urls = submittedUrls(project, seen).map((u) => u.url);
    expect(urls).toHaveLength(2);
    expect(urls[0]?.startsWith(`${project.emulator.origin}/files/`)).toBe(true);
    expect(urls[1]?.startsWith(`${s3.endpoint}${put}`)).toBe(true);
  });

  it('retries only once: a second fetch failure fails the node', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    expect(summaryOf(await project.run()).exitCode).toBe(0);
    // Every request now ends `failed` with the emulator's fetch error code; the object is gone, so
    // hosting it again uploads it (something new to fetch).
    project.emulator.setScenario({
      faults: [{ kind: 'remote-failed', error: { code: 'image_fetch_failed', message: 'could not fetch image_url' } }],
    });
    await s3.deleteObject(`inputs/${await sha256Of(join(project.root, 'assets', 'portrait.jpg'))}.jpg`);
    const seen = project.submits().length;
    const run = await project.run({ options: { force: ['background'] } });
    expect(summaryOf(run).exitCode).toBe(1);
    expect(failures(run)).toEqual([expect.stringMatching(/^background: E_REMOTE_FAILED/)]);
    expect(project.submits().length - seen).toBe(2);
    // Not "change the prompt or the image": the hosting is what to check.
    const failed = run.events.find((e) => e.type === 'node-failed');
    expect(failed?.type === 'node-failed' ? failed.hint : '').toMatch(
      /^the API could not fetch the input image even hosted again/,
    );
  });

  it('re-hosts a cached upstream output from the blob store once its provider URL is stale', async () => {
    await project.writeRecipe(recipeYaml({ hosting: hosting() }));
    const first = await project.run();
    expect(summaryOf(first).exitCode).toBe(0);
    const raincoatSha = await sha256Of(outputsOf(first).get('raincoat') ?? '');

    // A minute later the emulator's output URL is still fresh: passed on, nothing uploaded.
    await project.writeRecipe(
      recipeYaml({
        hosting: hosting(),
        prompts: { umbrella: 'Keep everything else unchanged. Add a green umbrella in her hand.' },
      }),
    );
    let seen = project.submits().length;
    const soon = await project.run({ now: () => Date.now() + 60_000 });
    expect(summaryOf(soon)).toMatchObject({ exitCode: 0, done: 1 });
    expect(submittedUrls(project, seen).map((u) => u.url)).toEqual([
      expect.stringMatching(new RegExp(`^${project.emulator.origin}/files/`)),
    ]);
    expect(s3.count('PUT')).toBe(3);

    // Twenty minutes later it is stale (default TTL 10 min): the cached bytes go to the bucket.
    await project.writeRecipe(
      recipeYaml({
        hosting: hosting(),
        prompts: { umbrella: 'Keep everything else unchanged. Add a red umbrella in her hand.' },
      }),
    );
    seen = project.submits().length;
    const late = await project.run({ now: () => Date.now() + 20 * 60_000 });
    expect(failures(late)).toEqual([]);
    expect(summaryOf(late)).toMatchObject({ exitCode: 0, done: 1 });
    const key = `/kontext-test/inputs/${raincoatSha}.png`;
    expect(submittedUrls(project, seen).map((u) => u.url)).toEqual([`${s3.endpoint}${key}?…`]);
    expect(s3.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toContain(key);
    expect(s3.count('PUT')).toBe(4);
    const stored = await s3.readObject(key.slice('/kontext-test/'.length));
    expect(stored?.contentType).toBe('image/png');
  });
});
