/**
 * The remote cache with real CLI processes: Ctrl-C while results are still uploading loses
 * nothing locally (and leaves no record without its blob in the bucket), and a second machine
 * started a few seconds after the first pays only for what the first has not finished.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '../../../src/index.js';
import { cliEnv, ensureBuilt, spawnCli, type CliChild } from '../../helpers/cli-spawn.js';
import { createProject, lockMatchesFiles, runIn, summaryOf, until, type Project } from '../../helpers/run-fixtures.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { NODES, outputsOf, RECIPE } from './harness.js';
import { startS3Proxy, type S3Proxy } from './proxy.js';

let s3: TestS3Server | undefined;
let emulator: EmulatorHandle | undefined;
let proxy: S3Proxy | undefined;
const projects: Project[] = [];
const children: CliChild[] = [];

beforeAll(ensureBuilt, 180_000);
afterEach(async () => {
  for (const c of children.splice(0))
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await proxy?.close();
  await emulator?.close();
  await s3?.close();
  for (const p of projects.splice(0)) await p.cleanup();
  proxy = emulator = s3 = undefined;
});

const YAML = RECIPE.replace('provider: emulator', 'provider: runcomfy\nhosting: { mode: inline }');

async function project(): Promise<Project> {
  const p = await createProject(YAML);
  projects.push(p);
  return p;
}

function envFor(e: EmulatorHandle, server: TestS3Server, endpoint = server.endpoint): Record<string, string> {
  return {
    RUNCOMFY_MODEL_API_BASE: e.baseUrl,
    KONTEXT_ALLOW_HOSTS: '127.0.0.1',
    RUNCOMFY_TOKEN: 'test-token',
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_S3: endpoint,
    KONTEXT_REMOTE_CACHE: `s3://${server.bucket}/team`,
  };
}

function spawnRun(p: Project, env: Record<string, string>, jobs = 4): CliChild {
  const child = spawnCli(['run', p.recipe, '-j', String(jobs)], { cwd: p.root, env: cliEnv(p.root, env) });
  children.push(child);
  return child;
}

const recordPuts = (server: TestS3Server): number =>
  server.requests.filter((r) => r.method === 'PUT' && r.status === 200 && r.path.includes('/v1/records/')).length;

function submittedOf(output: string): number {
  const m = /submitted (\d+)/.exec(output);
  if (!m) throw new Error(`no summary in: ${output}`);
  return Number(m[1]);
}

describe('remote cache across processes', () => {
  it('Ctrl-C while uploading: exit 130, all kept locally, no record without its blob; next run uploads', async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 20, runMs: 20 });
    proxy = await startS3Proxy(s3.endpoint, { holdWritesMs: 60_000 });
    const a = await project();
    const env = envFor(emulator, s3, proxy.endpoint);
    const child = spawnRun(a, env);
    await until(() => child.output().includes('uploading 5 to remote cache'), 30_000, 'the upload line', child.output);
    child.child.kill('SIGINT');
    const result = await child.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/done 5 .* submitted 5/);
    // The summary last, after the uploads' grace and their notes (the line a job summary takes).
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^done 5 · .* submitted 5 /);
    // Nothing reached the bucket (every PUT was held), so no record names a missing blob.
    expect(s3.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    // Locally: the lock, out/ and the cache are complete: a run without the remote pays nothing.
    expect((await lockMatchesFiles(a)).map((r) => r.ok)).toEqual([true, true, true, true, true]);
    const again = await runIn(a, { noRemote: true }, { env });
    expect(summaryOf(again)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    // It said so, and the next run with the remote (all local hits) uploads what was missing.
    expect(result.stderr).toContain('5 results not uploaded; the next run with this remote uploads them');
    // A dry run writes nothing, to the remote neither.
    await runIn(a, { dryRun: true }, { env: envFor(emulator, s3) });
    expect(s3.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    const resumed = await runIn(a, {}, { env: envFor(emulator, s3) });
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(resumed.events).toContainEqual(
      expect.objectContaining({ type: 'notice', message: expect.stringContaining('uploading 5 results an earlier') }),
    );
    expect(recordPuts(s3)).toBe(5);
    const b = await project();
    const fromRemote = await runIn(b, {}, { env: envFor(emulator, s3) });
    expect(summaryOf(fromRemote)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    // Nothing is left to catch up: a further run asks the remote nothing.
    const before = s3.requests.length;
    await runIn(a, {}, { env: envFor(emulator, s3) });
    expect(s3.requests.length).toBe(before);
  }, 60_000);

  it('SIGINT while uploading (a CI job cancelled): uploads under way finish first; a fresh runner pays 0', async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 20, runMs: 20 });
    // Each PUT held 0.6 s: the five results need about 2.4 s, within the uploads' 5 s grace.
    proxy = await startS3Proxy(s3.endpoint, { holdWritesMs: 600 });
    const a = await project();
    const child = spawnRun(a, envFor(emulator, s3, proxy.endpoint));
    // How many are still going when the run ends depends on the machine's pace (a chain's first
    // upload may be done by then); at least one is, as each takes 1.2 s.
    const uploading = /uploading (\d+) to remote cache/;
    await until(() => uploading.test(child.output()), 30_000, 'the upload line', child.output);
    child.child.kill('SIGINT');
    const result = await child.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(
      /finishing [1-5] uploads? to the remote cache \(up to 5 s; interrupt again to stop now\)/,
    );
    expect(result.stderr).not.toContain('not uploaded');
    expect(recordPuts(s3)).toBe(5);
    // The runner and its cache are gone; the next job's runner starts empty and pays nothing.
    const b = await project();
    const fresh = await runIn(b, {}, { env: envFor(emulator, s3) });
    expect(summaryOf(fresh)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
  }, 60_000);

  it('kill -9 while uploading: the next run pays 0 and uploads all; no record ever names a missing blob', async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 20, runMs: 20 });
    proxy = await startS3Proxy(s3.endpoint, { holdWritesMs: 60_000 });
    const a = await project();
    const child = spawnRun(a, envFor(emulator, s3, proxy.endpoint));
    await until(() => child.output().includes('uploading 5 to remote cache'), 30_000, 'the upload line', child.output);
    child.child.kill('SIGKILL');
    expect((await child.done).signal).toBe('SIGKILL');
    expect(s3.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    const resumed = await runIn(a, {}, { env: envFor(emulator, s3) });
    expect(summaryOf(resumed)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
    expect(recordPuts(s3)).toBe(5);
    // Every record PUT came after its blob's: a clean copy with its own cache pays nothing.
    const b = await project();
    const fromRemote = await runIn(b, {}, { env: envFor(emulator, s3) });
    expect(summaryOf(fromRemote)).toMatchObject({ exitCode: 0, cached: 5, submitted: 0 });
  }, 60_000);

  it('a slow remote (0.5 s per request): a second machine pays only for what the first has not uploaded', async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 20, runMs: 300 });
    proxy = await startS3Proxy(s3.endpoint, { delayMs: 500 });
    const a = await project();
    const b = await project();
    const env = envFor(emulator, s3, proxy.endpoint);
    const first = spawnRun(a, env, 1);
    await until(() => recordPuts(s3 as TestS3Server) >= 1, 60_000, 'an upload', first.output);
    const second = spawnRun(b, env, 1);
    const finished = recordPuts(s3);
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
    expect(r1.stderr + r2.stderr).not.toMatch(/not usable/);
    expect(submittedOf(r1.stderr)).toBe(5);
    expect(submittedOf(r2.stderr)).toBeLessThanOrEqual(NODES.length - finished);
    const outA = await outputsOf(a);
    const outB = await outputsOf(b);
    for (const id of NODES) expect(outB.get(id)?.equals(outA.get(id) ?? Buffer.alloc(0))).toBe(true);
  }, 120_000);

  it('a second machine started a few seconds later pays only for what the first has not finished', async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ queueMs: 20, runMs: 1_200 });
    const a = await project();
    const b = await project();
    const env = envFor(emulator, s3);
    const first = spawnRun(a, env, 1);
    await until(() => recordPuts(s3 as TestS3Server) >= 2, 30_000, 'two uploads', first.output);
    const finished = recordPuts(s3);
    const second = spawnRun(b, env, 1);
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
    expect(submittedOf(r1.stderr)).toBe(5);
    const paid = submittedOf(r2.stderr);
    expect(paid).toBeLessThanOrEqual(NODES.length - finished);
    const outA = await outputsOf(a);
    const outB = await outputsOf(b);
    for (const id of NODES) expect(outB.get(id)?.equals(outA.get(id) ?? Buffer.alloc(0))).toBe(true);
  }, 90_000);
});
