/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (src/util/proxy.ts), end to end with the built CLI: a test
 * proxy on 127.0.0.1 tunnels to the emulator and the s3rver under names only it resolves
 * (`*.kontext-proxy.invalid`), so a run that succeeds went through it. Its password must never
 * show; its refusal must never leave a submit "maybe paid".
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyTunnel, startTestProxy, type TestProxy } from '../../helpers/connect-proxy.js';
import { spawnCli } from '../../helpers/cli-spawn.js';
import { useRemoteE2e } from '../../helpers/remote-e2e.js';
import { type Project, until } from '../../helpers/run-fixtures.js';

const API_HOST = 'api.kontext-proxy.invalid';
// s3rver reads any other name as a virtual-hosted bucket; `localhost` could be resolved here too,
// so for the bucket the proxy's log is the proof.
const S3_HOST = 'localhost';
const PASSWORD = 'pr0xy-pa55word-7c1e';

const YAML = [
  'version: 1',
  'name: test',
  'provider: runcomfy',
  'hosting: { mode: inline }',
  // Two instances of one pass, not a chain: a chained pass would send the emulator its own output
  // URL under the proxy's name, which it cannot fetch (a real API fetches its CDN directly).
  'sources:',
  '  photo: assets/{portrait-astronaut,pet-chelsea}.jpg',
  'passes:',
  '  - id: bg',
  '    prompt: Replace the background with a beach.',
  '',
].join('\n');

const kit = useRemoteE2e(YAML, 'proxy');
let proxy: TestProxy;
beforeAll(async () => {
  proxy = await startTestProxy();
  proxy.map(API_HOST, Number(new URL(kit.emulator().origin).port));
  proxy.requireAuth('alice', PASSWORD);
});
afterAll(() => proxy.close());

/** The environment of a run whose API and bucket only the proxy can reach. */
function viaProxy(password = PASSWORD): Record<string, string> {
  const url = `http://alice:${password}@127.0.0.1:${proxy.port}`;
  return {
    RUNCOMFY_MODEL_API_BASE: `http://${API_HOST}:${new URL(kit.emulator().origin).port}/v1`,
    KONTEXT_ALLOW_HOSTS: API_HOST,
    AWS_ENDPOINT_URL_S3: `http://${S3_HOST}:${new URL(kit.s3().endpoint).port}`,
    // The lower-case name, for http:// URLs (the emulator's and the s3rver's).
    http_proxy: url,
  };
}

/** Every file of the project (cache, journal, lock, outputs) holding `text`. */
async function filesHolding(p: Project, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const d of await readdir(p.root, { recursive: true, withFileTypes: true })) {
    if (!d.isFile()) continue;
    const path = join(d.parentPath, d.name);
    if ((await readFile(path)).includes(text)) found.push(path);
  }
  return found;
}

const tunnelsTo = (host: string, since: number): ProxyTunnel[] =>
  proxy.tunnels.slice(since).filter((t) => t.target.startsWith(`${host}:`));

describe('through an HTTP proxy', () => {
  it('every API call, download and remote-cache call goes through it; its password shows nowhere', async () => {
    const a = await kit.project();
    const [submits, tunnels] = [kit.submits(), proxy.tunnels.length];
    const first = await kit.kontext(a, ['run', 'recipe.yml'], viaProxy());
    expect(first.code, first.stderr).toBe(0);
    expect(kit.submits() - submits).toBe(2);
    expect(tunnelsTo(API_HOST, tunnels).length).toBeGreaterThan(0);
    expect(tunnelsTo(S3_HOST, tunnels).length).toBeGreaterThan(0);
    expect(proxy.tunnels.slice(tunnels).every((t) => t.status === 200)).toBe(true);
    expect(first.stdout + first.stderr).not.toContain(PASSWORD);
    expect(await filesHolding(a, PASSWORD)).toEqual([]);

    // A teammate's clone, behind the same proxy: everything from the remote cache, nothing paid.
    const b = await kit.clone(a);
    const second = await kit.kontext(b, ['run', 'recipe.yml'], viaProxy());
    expect(second.code, second.stderr).toBe(0);
    expect(kit.submits() - submits).toBe(2);
  });

  it("a proxy's refusal (407) pays nothing and leaves nothing maybe paid: the next run pays once", async () => {
    const p = await kit.project(YAML.replace('a beach', 'a harbour'));
    const submits = kit.submits();
    const refused = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], viaProxy('wrong-password-1'));
    // A credential refused, as an API's 401 is.
    expect(refused.code).toBe(77);
    expect(refused.stdout + refused.stderr).toMatch(/the proxy http:\/\/127\.0\.0\.1:\d+\/? refused the tunnel/);
    expect(refused.stdout + refused.stderr).toContain('HTTP 407');
    expect(refused.stdout + refused.stderr).toContain('user:password@');
    expect(refused.stdout + refused.stderr).not.toMatch(/maybe paid|outcome unknown|wrong-password-1/);
    expect(kit.submits()).toBe(submits);

    const next = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], viaProxy());
    expect(next.code, next.stderr).toBe(0);
    expect(kit.submits() - submits).toBe(2);
  });

  // Closed as well as reset in proxy-connector.test.ts; one here.
  it.each(['reset'] as const)(
    'a proxy that drops the CONNECT (%s): the run ends after its retries, nothing (maybe) paid; the next pays once',
    async (mode) => {
      const p = await kit.project(YAML.replace('a beach', `a ${mode} street`));
      const submits = kit.submits();
      proxy.misbehave(mode);
      const dropped = await kit
        .kontext(p, ['run', 'recipe.yml', '--no-remote'], viaProxy())
        .finally(() => proxy.misbehave(null));
      expect(dropped.code).toBe(69);
      expect(dropped.stdout + dropped.stderr).toMatch(/no tunnel through the proxy http:\/\/127\.0\.0\.1:\d+\/? to /);
      expect(dropped.stdout + dropped.stderr).not.toMatch(/maybe paid|outcome unknown/);
      expect(kit.submits()).toBe(submits);
      const next = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], viaProxy());
      expect(next.code, next.stderr).toBe(0);
      expect(kit.submits() - submits).toBe(2);
    },
  );

  it('Ctrl-C while the proxy never answers the CONNECT: nothing sent, nothing maybe paid (review-af 4)', async () => {
    const p = await kit.project(YAML.replace('a beach', 'a quiet square'));
    const submits = kit.submits();
    proxy.misbehave('silent');
    const tunnels = proxy.tunnels.length;
    const child = spawnCli(['run', 'recipe.yml', '--no-remote'], { cwd: p.root, env: kit.env(p, viaProxy()) });
    try {
      await until(() => proxy.tunnels.slice(tunnels).some((t) => t.status === 0));
      const sentAt = performance.now();
      child.child.kill('SIGINT');
      const stopped = await child.done;
      expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
      // At once, nothing on the wire: not the rest of the 10 s connect timeout (util/http-request.ts).
      expect(performance.now() - sentAt).toBeLessThan(5_000);
      expect(stopped.stdout + stopped.stderr).not.toMatch(/maybe paid|outcome unknown|may have been accepted/);
    } finally {
      proxy.misbehave(null);
    }
    expect(kit.submits()).toBe(submits);
    const next = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], viaProxy());
    expect(next.code, next.stderr).toBe(0);
    expect(kit.submits() - submits).toBe(2);
  });

  it('a proxy URL that does not parse is never shown: a password with a # or ? in it', async () => {
    const p = await kit.project(YAML.replace('a beach', 'a lake'));
    for (const value of [`http://alice:${PASSWORD}#x@127.0.0.1:3128`, `alice:${PASSWORD}?@proxy.corp:3128`]) {
      const run = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], { ...viaProxy(), http_proxy: value });
      expect(run.code).toBe(64);
      expect(run.stderr).toContain('http_proxy is not a URL (its value is not shown');
      expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    }
  });

  it('NO_PROXY sends its hosts directly', async () => {
    const p = await kit.project(YAML.replace('a beach', 'a forest'));
    const tunnels = proxy.tunnels.length;
    const env = { ...viaProxy(), NO_PROXY: '127.0.0.1' };
    delete (env as Record<string, string | undefined>)['RUNCOMFY_MODEL_API_BASE'];
    delete (env as Record<string, string | undefined>)['AWS_ENDPOINT_URL_S3'];
    const run = await kit.kontext(p, ['run', 'recipe.yml'], { ...env, KONTEXT_ALLOW_HOSTS: '127.0.0.1' });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.tunnels.length).toBe(tunnels);
  });

  it('the built-in emulator is reached directly, whatever proxy the environment names', async () => {
    const p = await kit.project(YAML.replace('provider: runcomfy', 'provider: emulator'));
    const dead = 'http://127.0.0.1:9'; // discard port: nothing listens
    const run = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], { HTTPS_PROXY: dead, HTTP_PROXY: dead });
    expect(run.code, run.stderr).toBe(0);
  });

  it('a proxy that is not http(s) is a usage error naming its variable, before anything is sent', async () => {
    const p = await kit.project(YAML.replace('a beach', 'a desert'));
    const submits = kit.submits();
    const run = await kit.kontext(p, ['run', 'recipe.yml', '--no-remote'], {
      ...viaProxy(),
      http_proxy: `socks5://alice:${PASSWORD}@127.0.0.1:1080`,
    });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('http_proxy is a socks5 proxy');
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    expect(kit.submits()).toBe(submits);
  });
});
