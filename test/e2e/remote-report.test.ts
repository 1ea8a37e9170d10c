/**
 * `kontext report` on a teammate's clone whose results are only in the shared remote cache, as
 * real CLI processes against one emulator (its request log counts the paid submits) and one
 * s3rver: the page shows those cells "in the remote cache" (not "not run yet") and keeps nothing;
 * `--fetch-remote` downloads them into the local cache, sha256-checked as a run's fetch is (a
 * blob replaced in the bucket is refused, with a warning), so the page has their thumbnails;
 * neither asks the provider or uploads. `--no-remote`: local state only. A remote that is down is
 * one warning, and the report is still written.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBucket } from '../../src/remote/bucket.js';
import { blobObject, parseRemoteUrl } from '../../src/remote/location.js';
import { useRemoteE2e } from '../helpers/remote-e2e.js';
import type { Project } from '../helpers/run-fixtures.js';
import { TEST_AWS_ENV } from '../helpers/s3-server.js';

const YAML = `version: 1
name: test
provider: runcomfy
hosting: { mode: inline }
sources:
  shots: assets/*.jpg
passes:
  - id: backdrop
    prompt: Keep the subject unchanged. Replace the background with a dark teal studio backdrop.
  - id: glow
    prompt: Keep the subject and the backdrop unchanged. Add a soft rim light.
`;
const NODES = 8; // four photos, two passes

const { s3, remote, kontext, submits, puts, project, clone } = useRemoteE2e(YAML, 'report');

interface ReportJson {
  index: string;
  counts: Record<string, number>;
  images: { made: number; reused: number };
  fetched: number;
}

async function report(p: Project, args: readonly string[] = [], extra?: Record<string, string>): Promise<ReportJson> {
  const r = await kontext(p, ['report', 'recipe.yml', '--json', ...args], extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReportJson;
}

/** The states the page's embedded data gives each node. */
async function pageStates(index: string): Promise<Map<string, string>> {
  const html = await readFile(index, 'utf8');
  const json = /<script type="application\/json" id="kontext-data">([^<]*)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error('no data in the page');
  const data = JSON.parse(json) as { nodes: { id: string; state: string; thumb: string | null }[] };
  return new Map(data.nodes.map((n) => [n.id, `${n.state}${n.thumb === null ? '' : '+thumb'}`]));
}

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).length;
}

describe('report on a clone whose results are in the remote cache only', () => {
  it('shows them "in the remote cache"; --fetch-remote downloads them, checked, and shows their images', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    expect(submits()).toBe(NODES);
    const lockA = await a.readLock();
    const b = await clone(a);
    const [putsBefore, paidBefore] = [puts(), submits()];

    const peeked = await report(b);
    expect(peeked.counts).toMatchObject({ nodes: NODES, remote: NODES, not_run: 0, cached: 0 });
    expect(peeked.fetched).toBe(0);
    expect([...(await pageStates(peeked.index)).values()]).toEqual(Array(NODES).fill('remote'));
    const text = await kontext(b, ['report', 'recipe.yml']);
    expect(text.stdout).toContain(`${NODES} in the remote cache (--fetch-remote downloads them)`);
    // Nothing kept: no blob, no record in the clone's cache.
    expect(await countFiles(join(b.root, '.cache', 'blobs'))).toBe(0);
    expect(await countFiles(join(b.root, '.cache', 'records'))).toBe(0);
    // --no-remote: local state only, as before.
    expect((await report(b, ['--no-remote'])).counts).toMatchObject({ remote: 0, not_run: NODES });
    const both = await kontext(b, ['report', 'recipe.yml', '--fetch-remote', '--no-remote']);
    expect([both.code, both.stderr]).toEqual([64, expect.stringContaining('cannot be used with')]);

    // One leaf's blob replaced in the bucket by another result's bytes: a valid image, the
    // wrong sha256. The fetch refuses it (one warning) and the page says it is not run yet.
    const bad = lockA.nodes['glow@pet-chelsea'];
    const other = lockA.nodes['glow@scene-rocket'];
    if (!bad || !other) throw new Error('lock entries missing');
    const location = parseRemoteUrl(remote(), 'test');
    const bucket = openBucket(location, { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: s3().endpoint });
    const otherBytes = await s3().readObject(blobObject(location, other.output_sha256));
    if (!otherBytes) throw new Error('blob missing');
    expect([puts(), submits()]).toEqual([putsBefore, paidBefore]);
    await bucket.write(blobObject(location, bad.output_sha256), otherBytes.body, 'image/png');
    bucket.close();
    const putsTampered = puts();

    const r = await kontext(b, ['report', 'recipe.yml', '--json', '--fetch-remote']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('does not match its record');
    const fetched = JSON.parse(r.stdout) as ReportJson;
    expect(fetched.fetched).toBe(NODES - 1);
    expect(fetched.counts).toMatchObject({ cached: NODES - 1, remote: 0, not_run: 1 });
    const states = await pageStates(fetched.index);
    expect(states.get('glow@pet-chelsea')).toBe('not-run');
    expect([...states.values()].filter((s) => s === 'cached+thumb')).toHaveLength(NODES - 1);
    expect(await countFiles(join(fetched.index, '..', 'thumbs'))).toBeGreaterThanOrEqual(NODES - 1);
    // Kept locally: the next report needs no remote.
    expect((await report(b, ['--no-remote'])).counts).toMatchObject({ cached: NODES - 1, not_run: 1 });
    // No provider request, no upload, from any of these reports.
    expect([puts(), submits()]).toEqual([putsTampered, paidBefore]);
  }, 180_000);

  it('a remote that is down: one warning, the report is still written from local state', async () => {
    const p = await project();
    const started = Date.now();
    for (const args of [[], ['--fetch-remote']]) {
      const r = await kontext(p, ['report', 'recipe.yml', '--json', ...args], {
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      });
      expect(r.code, r.stderr).toBe(0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('is not usable');
      expect(r.stderr).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
      const json = JSON.parse(r.stdout) as ReportJson;
      expect(json.counts).toMatchObject({ nodes: NODES, not_run: NODES, remote: 0 });
      await readFile(json.index, 'utf8');
    }
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
