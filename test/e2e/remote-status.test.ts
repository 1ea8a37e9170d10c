/**
 * `kontext status` on a clone whose results are only in the remote cache, as real CLI processes
 * against one emulator (its request log counts the paid submits) and one s3rver: status says,
 * node by node, what the run then does — "in the remote cache" for what the run downloads
 * without a request, "will run" for a result whose remote record was tampered with or whose blob
 * is gone (the run refuses those and pays) — and `billable` counts only what the run pays.
 * Status uploads nothing and keeps nothing; a remote that is down is one warning, and status
 * answers from local knowledge.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBucket } from '../../src/remote/bucket.js';
import { blobObject, parseRemoteUrl, recordObject } from '../../src/remote/location.js';
import { cli } from '../helpers/cli-spawn.js';
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
    prompt: Keep the subject unchanged. Replace the background with a dark green studio backdrop.
  - id: shadow
    prompt: Keep the subject and the backdrop unchanged. Add a long soft shadow.
`;
const NODES = 8; // four photos, two passes

const { s3, remote: REMOTE, env, kontext, submits, puts, project, clone } = useRemoteE2e(YAML, 'status');

interface StatusJson {
  billable: number;
  clean: boolean;
  counts: Record<string, number>;
  nodes: { node: string; state: string; reason: string | null }[];
}

async function status(p: Project, args: readonly string[] = [], extra?: Record<string, string>): Promise<StatusJson> {
  const r = await kontext(p, ['status', 'recipe.yml', '--json', ...args], extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** What the run did per node: `paid` (ran: submitted) or `free` (cached, from either cache). */
function runOutcome(stdout: string): Map<string, 'paid' | 'free'> {
  const out = new Map<string, 'paid' | 'free'>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { type: string; node?: string };
    if (e.node === undefined) continue;
    if (e.type === 'node-cached') out.set(e.node, 'free');
    else if (e.type === 'node-done') out.set(e.node, 'paid');
  }
  return out;
}

describe('status on a clone whose results are in the remote cache only', () => {
  it('says "remote" for what the run downloads free, "will-run" for what it refuses and pays; they agree', async () => {
    const a = await project();
    expect((await kontext(a, ['run', 'recipe.yml'])).code).toBe(0);
    expect(submits()).toBe(NODES);
    const lockA = await a.readLock();

    // A clean clone: recipe, sources and lock; no out/ (not committed) and a fresh cache.
    const b = await clone(a);

    const [putsBefore, paidBefore] = [puts(), submits()];
    const all = await status(b);
    expect(all.nodes.map((n) => n.state)).toEqual(Array(NODES).fill('remote'));
    expect(all).toMatchObject({ billable: 0, clean: false, counts: { remote: NODES, will_run: 0 } });
    // Not complete here (a run would download them): --exit-code says so; billable says it is free.
    expect((await kontext(b, ['status', 'recipe.yml', '--exit-code'])).code).toBe(1);
    const text = await kontext(b, ['status', 'recipe.yml']);
    expect(text.stdout).toContain(`In the remote cache (${NODES}):`);
    expect(text.stdout).toContain('a run pays for nothing');
    // --no-remote: the local cache only, as before.
    const local = await status(b, ['--no-remote']);
    expect(local.nodes.every((n) => n.state === 'will-run')).toBe(true);
    expect(local.billable).toBe(NODES);
    expect((await kontext(b, ['status', 'recipe.yml', '--exit-code', '--no-remote'])).code).toBe(1);
    // Status kept nothing (a second look asks the remote again) and sent nothing.
    expect((await status(b)).counts['remote']).toBe(NODES);
    expect([puts(), submits()]).toEqual([putsBefore, paidBefore]);

    // Two leaves go bad in the bucket: a record rewritten (its fields no longer hash to its key)
    // and a record whose blob was deleted. The run refuses both (a warning each) and pays for them.
    const location = parseRemoteUrl(REMOTE(), 'test');
    const bucket = openBucket(location, { ...TEST_AWS_ENV, AWS_ENDPOINT_URL_S3: s3().endpoint });
    const tampered = lockA.nodes['shadow@pet-chelsea'];
    const orphaned = lockA.nodes['shadow@scene-rocket'];
    if (!tampered || !orphaned) throw new Error('lock entries missing');
    const record = await bucket.read(recordObject(location, tampered.key), 1 << 20);
    const forged = { ...JSON.parse(String(record)), prompt: 'Something else entirely.' };
    await bucket.write(recordObject(location, tampered.key), Buffer.from(JSON.stringify(forged)), 'application/json');
    await s3().deleteObject(blobObject(location, orphaned.output_sha256));
    bucket.close();

    const bad = await status(b);
    const states = new Map(bad.nodes.map((n) => [n.node, n.state]));
    expect(states.get('shadow@pet-chelsea')).toBe('will-run');
    expect(states.get('shadow@scene-rocket')).toBe('will-run');
    expect([...states.values()].filter((s) => s === 'remote')).toHaveLength(NODES - 2);
    expect(bad.billable).toBe(2);
    expect((await kontext(b, ['status', 'recipe.yml', '--exit-code'])).code).toBe(1);

    const before = submits();
    const real = await kontext(b, ['run', 'recipe.yml', '--json']);
    expect(real.code, real.stderr).toBe(0);
    expect(submits() - before).toBe(bad.billable);
    const expected = new Map(bad.nodes.map((n) => [n.node, n.state === 'will-run' ? 'paid' : 'free']));
    expect(runOutcome(real.stdout)).toEqual(expected);
    expect((await status(b)).nodes.every((n) => n.state === 'up-to-date')).toBe(true);
  }, 180_000);

  it.each([
    ['down', { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }],
    ['refusing our key', { AWS_ACCESS_KEY_ID: 'NOT-A-KEY-IT-KNOWS' }],
  ])(
    'a remote %s: one warning, status answers from the local cache, and does not hang',
    async (_, bad) => {
      const p = await project();
      const started = Date.now();
      const r = await kontext(p, ['status', 'recipe.yml', '--json'], bad);
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeLessThan(30_000);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('is not usable');
      expect(r.stderr).not.toContain(TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY);
      const json = JSON.parse(r.stdout) as StatusJson;
      expect(json.nodes.map((n) => n.state)).toEqual(Array(NODES).fill('will-run'));
      expect(json.billable).toBe(NODES);
    },
    60_000,
  );

  it("a recipe's own remote (cache.remote) is read as the run reads it, never announced as read-only", async () => {
    const a = await project();
    const named = `s3://${s3().bucket}/named`;
    const yaml = YAML.replaceAll('long soft shadow', 'short hard shadow');
    await a.writeRecipe(yaml);
    expect((await kontext(a, ['run', 'recipe.yml'], { KONTEXT_REMOTE_CACHE: named })).code).toBe(0);
    // A fresh clone of a recipe that names that remote; no KONTEXT_REMOTE_CACHE, no user config.
    await a.writeRecipe(yaml.replace('provider: runcomfy', `provider: runcomfy\ncache: { remote: "${named}" }`));
    for (const dir of ['.cache', 'out']) await rm(join(a.root, dir), { recursive: true, force: true });
    await rm(a.lockPath, { force: true });
    const { KONTEXT_REMOTE_CACHE: _, ...noEnv } = env(a);
    const r = await cli(['status', 'recipe.yml', '--json'], { cwd: a.root, env: noEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('read-only'); // status never uploads: nothing to announce
    const json = JSON.parse(r.stdout) as StatusJson;
    expect(json.counts['remote']).toBe(NODES);
    expect(json.billable).toBe(0);
  }, 60_000);
});
