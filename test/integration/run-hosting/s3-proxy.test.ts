/**
 * `hosting: s3` behind an HTTP proxy (src/util/proxy-agent.ts): with `http_proxy` / `HTTPS_PROXY`
 * in the runtime's env, the AWS SDK's HEAD and PUT go through the test proxy's CONNECT tunnels
 * (its log names the bucket's `localhost:<port>`: s3rver reads any other name as a virtual-hosted
 * bucket, so the log is the proof), and the emulator, as the API, fetches the presigned URL
 * directly. The emulator itself is in `NO_PROXY` (127.0.0.1), so only the bucket's traffic is
 * the proxy's. A refused tunnel fails the run before any submit, naming the proxy without its
 * password; `NO_PROXY` covering the bucket's host: no tunnel.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HostingConfig } from '../../../src/index.js';
import { cli, ensureBuilt } from '../../helpers/cli-spawn.js';
import { startTestProxy, type TestProxy } from '../../helpers/connect-proxy.js';
import { startS3Server, TEST_AWS_ENV, type TestS3Server } from '../../helpers/s3-server.js';
import { createProject, failures, summaryOf, type Project } from './harness.js';
import { recipeYaml } from './recipe.js';

/** A password with characters a URL must percent-encode: sent decoded, shown nowhere. */
const PASSWORD = 'pr0xy:pa55@w0rd-5e9b';
const ENCODED_PASSWORD = encodeURIComponent(PASSWORD);
const WRONG = 'wr0ng-pa55word-81d4';

let s3: TestS3Server;
let proxy: TestProxy;
const projects: Project[] = [];
const closers: (() => Promise<void>)[] = [];

// The https:// proxy's test spawns the built CLI (NODE_EXTRA_CA_CERTS is read at start-up only).
beforeAll(() => ensureBuilt(), 180_000);
beforeEach(async () => {
  s3 = await startS3Server();
  proxy = await startTestProxy();
});
afterEach(async () => {
  for (const p of projects.splice(0)) await p.close();
  for (const close of closers.splice(0)) await close();
  await proxy.close();
  await s3.close();
});

/** The bucket's host as the SDK asks for it (a name, not the emulator's 127.0.0.1). */
const bucketHost = (): string => `localhost:${new URL(s3.endpoint).port}`;

/** A project whose user config hosts on the s3rver, named `localhost`, with `env` in its runtime. */
async function projectWith(env: Record<string, string>): Promise<Project> {
  const project = await createProject({ ...TEST_AWS_ENV, NO_PROXY: '127.0.0.1', ...env });
  projects.push(project);
  const hosting: HostingConfig = {
    mode: 's3',
    bucket: s3.bucket,
    prefix: 'inputs',
    endpoint: `http://${bucketHost()}`,
    force_path_style: true,
  };
  await mkdir(project.configDir, { recursive: true });
  await writeFile(join(project.configDir, 'config.json'), JSON.stringify({ hosting }));
  await project.writeRecipe(recipeYaml());
  return project;
}

/** The test certificate (localhost, 127.0.0.1), which the spawned CLI trusts through NODE_EXTRA_CA_CERTS. */
const CERT_PATH = fileURLToPath(new URL('../../fixtures/tls/localhost.crt', import.meta.url));

/** An https:// proxy: a TLS front (the test certificate) to the test proxy. Closed after the test. */
async function startTlsFront(): Promise<number> {
  const key = readFileSync(CERT_PATH.replace(/\.crt$/, '.key'));
  const sockets = new Set<Socket>();
  const server = createTlsServer({ key, cert: readFileSync(CERT_PATH) }, (s) => {
    const up = connect(proxy.port, '127.0.0.1');
    for (const x of [s, up]) {
      sockets.add(x);
      x.on('close', () => sockets.delete(x));
    }
    up.on('error', () => s.destroy());
    s.on('error', () => up.destroy());
    s.pipe(up).pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const x of sockets) x.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

const presignedGets = (): number =>
  s3.requests.filter((r) => r.method === 'GET' && r.presigned && r.status === 200).length;

describe('hosting: s3 through an HTTP proxy', () => {
  it('HEAD and PUT go through its tunnels, with its credentials; the API fetches the presigned URLs', async () => {
    proxy.requireAuth('alice', PASSWORD);
    const project = await projectWith({ http_proxy: `http://alice:${ENCODED_PASSWORD}@127.0.0.1:${proxy.port}` });
    const run = await project.run();
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, done: 5, submitted: 5 });
    expect(s3.count('HEAD')).toBe(3);
    expect(s3.count('PUT')).toBe(3);
    expect(presignedGets()).toBe(3);

    const targets = new Set(proxy.tunnels.map((t) => t.target));
    expect([...targets]).toEqual([bucketHost()]);
    expect(proxy.tunnels.every((t) => t.status === 200)).toBe(true);
    const basic = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
    expect(proxy.tunnels.every((t) => t.authorization === basic)).toBe(true);
    expect(run.stdout + run.stderr + JSON.stringify(run.events)).not.toContain('pa55');
  });

  it('a wrong password: a clear error naming the proxy, no password anywhere, nothing paid', async () => {
    proxy.requireAuth('alice', PASSWORD);
    const project = await projectWith({ http_proxy: `http://alice:${WRONG}@127.0.0.1:${proxy.port}` });
    const r = await project.cli(['run', 'recipe.yml']);
    const out = r.stdout + r.stderr;
    // A credential refused (the proxy's 407), as S3's own 403: 77 (E_HOSTING_DENIED).
    expect(r.code, out).toBe(77);
    // (The CLI's URL scrubbing writes the proxy's URL with a path: `…:port/`.)
    expect(out).toContain(`the proxy http://127.0.0.1:${proxy.port}`);
    expect(out).toMatch(/failed +\S+ +E_HOSTING_DENIED: could not check s3:\/\/kontext-test\/inputs\//);
    expect(out).toContain(`refused the tunnel to ${bucketHost()} (HTTP 407)`);
    expect(out).toContain('user:password@ before its host');
    expect(out).not.toContain(WRONG);
    expect(out).not.toContain('pa55');
    expect(project.submits()).toEqual([]);
    expect(s3.requests).toEqual([]);
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(proxy.tunnels.every((t) => t.status === 407 && t.target === bucketHost())).toBe(true);
    for (const [path, text] of await project.files({ skipImages: true })) {
      expect(text, path).not.toContain(WRONG);
      expect(text, path).not.toContain('pa55');
    }
  });

  it('a proxy refusing the host (403): says so, with its own hint', async () => {
    proxy.refuse(403);
    const project = await projectWith({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}` });
    const r = await project.cli(['run', 'recipe.yml']);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain(`refused the tunnel to ${bucketHost()} (HTTP 403)`);
    expect(r.stderr).toContain("the proxy's rules refuse this host");
    expect(project.submits()).toEqual([]);
  });

  it('NO_PROXY covering the bucket (its host and port): no tunnel, the run succeeds', async () => {
    proxy.refuse(403);
    const asked = (noProxy: string): Promise<Project> =>
      projectWith({ http_proxy: `http://127.0.0.1:${proxy.port}`, NO_PROXY: `127.0.0.1,${noProxy}` });
    // Another port of the same host is not the bucket: through the proxy, which refuses it.
    const other = await (await asked('localhost:1')).cli(['run', 'recipe.yml']);
    expect(other.code).toBe(69);
    expect(proxy.tunnels.map((t) => t.target)).toContain(bucketHost());
    const tunnels = proxy.tunnels.length;

    const run = await (await asked(bucketHost())).run();
    expect(failures(run)).toEqual([]);
    expect(summaryOf(run)).toMatchObject({ exitCode: 0, submitted: 5 });
    expect(s3.count('PUT')).toBe(3);
    expect(proxy.tunnels.length).toBe(tunnels);
  });

  it('an https:// proxy, trusted through NODE_EXTRA_CA_CERTS: the built CLI hosts through it', async () => {
    const front = await startTlsFront();
    const project = await projectWith({});
    const env = { ...project.env, http_proxy: `https://localhost:${front}`, NODE_EXTRA_CA_CERTS: CERT_PATH };
    const r = await cli(['run', 'recipe.yml'], { cwd: project.root, env });
    expect(r.code, r.stderr).toBe(0);
    expect(project.submits()).toHaveLength(5);
    expect(s3.count('PUT')).toBe(3);
    expect(presignedGets()).toBe(3);
    expect(new Set(proxy.tunnels.map((t) => `${t.target} ${t.status}`))).toEqual(new Set([`${bucketHost()} 200`]));
  }, 60_000);
});
