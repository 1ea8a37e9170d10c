/** `kontext providers`: what is listed, and that no credential value ever reaches the output. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { secretsFromEnv } from '../../../src/cli/render-error.js';
import { createRuntime } from '../../../src/runtime.js';

let home = '';
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'kontext-providers-'));
});
afterAll(() => rm(home, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => (out += s), isTTY: false, columns: 100 };
  const stderr = { write: (s: string) => (err += s), isTTY: false, columns: 100 };
  const rt = createRuntime({ stdout, stderr, env: { HOME: home, ...env }, cwd: home });
  const code = await main(['providers', ...args], { rt });
  return { code, out, err };
}

const SECRETS = {
  RUNCOMFY_TOKEN: 'rc-SECRET-0001',
  BFL_API_KEY: 'bfl-SECRET-0002',
  FAL_KEY_ID: 'falid-SECRET-0003',
  FAL_KEY_SECRET: 'falsec-SECRET-0004',
  REPLICATE_API_TOKEN: 'r8_SECRET-0005',
};

describe('kontext providers', () => {
  it('lists every provider with its models, prices and credential state; no value is printed', async () => {
    const { code, out, err } = await run([], SECRETS);
    expect(code).toBe(0);
    expect(err).toBe('');
    for (const v of Object.values(SECRETS)) expect(out).not.toContain(v);
    expect(out).not.toMatch(/SECRET-000/);
    expect(out).toMatch(/^runcomfy: credentials set \(RUNCOMFY_TOKEN\)$/m);
    expect(out).toMatch(/^fal: .*credentials set \(FAL_KEY_ID \+ FAL_KEY_SECRET\)$/m);
    expect(out).toMatch(/^emulator: no credentials needed$/m);
    expect(out).toContain('blackforestlabs/flux-1-kontext/max/edit (flux-kontext-max), endpoint /v1/flux-kontext-max');
    expect(out).toContain('$0.08/image');
    expect(out).toContain('price from catalog');
  });

  it('--json: the same, as data', async () => {
    const { code, out } = await run(['--json'], { BFL_API_KEY: SECRETS.BFL_API_KEY });
    expect(code).toBe(0);
    expect(out).not.toContain(SECRETS.BFL_API_KEY);
    const json = JSON.parse(out) as {
      providers: { name: string; credentials: { state: string }; models: unknown[] }[];
    };
    const states = Object.fromEntries(json.providers.map((p) => [p.name, p.credentials.state]));
    expect(states).toEqual({
      runcomfy: 'missing',
      emulator: 'not-needed',
      bfl: 'set',
      fal: 'missing',
      replicate: 'missing',
    });
    const fal = json.providers.find((p) => p.name === 'fal');
    expect(fal?.models).toContainEqual({
      id: 'blackforestlabs/flux-1-kontext/pro/edit',
      aliases: ['flux-kontext-pro'],
      endpoint: 'fal-ai/flux-pro/kontext',
      price_usd: 0.04,
    });
  });

  it("RunComfy's token file counts as set, and its content stays unprinted", async () => {
    const dir = path.join(home, 'rc');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'token.json'), JSON.stringify({ access_token: 'file-SECRET-0006' }), {
      mode: 0o600,
    });
    const { out } = await run([], { RUNCOMFY_CONFIG_DIR: dir });
    expect(out).toMatch(/^runcomfy: credentials set \(token file\)$/m);
    expect(out).not.toContain('file-SECRET-0006');
  });

  it('a key a run would refuse is unusable, with why (walk-o): a bad character, a token file not JSON', async () => {
    const dir = path.join(home, 'bad-token');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'token.json'), '{"access_token": "file-SECRET-0009",\n  oops }', { mode: 0o600 });
    const { out } = await run([], { RUNCOMFY_CONFIG_DIR: dir, BFL_API_KEY: 'bfl-SECRET-\u201c0010' });
    const file = path.join(dir, 'token.json');
    expect(out).toContain(
      `runcomfy: credentials unusable: not signed in: ${file}:2:3: the token file is not valid JSON\n`,
    );
    expect(out).toMatch(
      /^bfl: credentials unusable: BFL_API_KEY holds a character an HTTP header cannot carry \(U\+201C/m,
    );
    expect(out).not.toMatch(/SECRET-00/);
    const json = JSON.parse((await run(['--json'], { RUNCOMFY_CONFIG_DIR: dir })).out) as {
      providers: { name: string; credentials: { state: string; problem?: string } }[];
    };
    expect(json.providers.find((p) => p.name === 'runcomfy')?.credentials).toMatchObject({
      state: 'unusable',
      problem: expect.stringMatching(/is not valid JSON$/),
    });
  });

  it('blank values and half a pair are missing', async () => {
    const { out } = await run(['--json'], { RUNCOMFY_TOKEN: '   ', FAL_KEY_ID: 'x' });
    const json = JSON.parse(out) as { providers: { name: string; credentials: { state: string } }[] };
    expect(json.providers.filter((p) => p.credentials.state === 'missing').map((p) => p.name)).toEqual([
      'runcomfy',
      'bfl',
      'fal',
      'replicate',
    ]);
  });
});

describe('kontext providers: the network', () => {
  it('names the proxies without their password, and NO_PROXY; direct when none is set', async () => {
    const env = { HTTPS_PROXY: 'http://bob:px-SECRET-0011@proxy.corp:3128', NO_PROXY: 'localhost,.corp' };
    const { out } = await run([], env);
    expect(out).toContain(
      'network: https:// URLs through http://proxy.corp:3128, http:// URLs directly; ' +
        'directly to localhost,.corp (NO_PROXY); the built-in emulator directly\n',
    );
    expect(out).not.toContain('px-SECRET-0011');
    expect((await run([], {})).out).toMatch(/^network: direct \(no HTTPS_PROXY or HTTP_PROXY set\)$/m);
    const json = JSON.parse((await run(['--json'], { http_proxy: 'proxy.corp:8080' })).out) as { network: unknown };
    expect(json.network).toEqual({
      https_proxy: 'http://proxy.corp:8080',
      http_proxy: 'http://proxy.corp:8080',
      no_proxy: null,
    });
  });

  it('says why a proxy variable would stop a run, without its password', async () => {
    const { code, out } = await run([], { https_proxy: 'socks5://bob:px-SECRET-0012@proxy.corp:1080' });
    expect(code).toBe(0);
    expect(out).toMatch(/^network: https_proxy is a socks5 proxy .*exit 64\)$/m);
    expect(out).not.toContain('px-SECRET-0012');
  });
});

describe('errors scrub every provider credential', () => {
  it("and a proxy's user and password", () => {
    expect(secretsFromEnv({ HTTPS_PROXY: 'http://bob:px%2FSECRET-0013@proxy:3128' })).toEqual(
      expect.arrayContaining(['px%2FSECRET-0013', 'px/SECRET-0013']),
    );
  });

  it('secretsFromEnv covers the BFL, fal and Replicate variables', () => {
    const found = secretsFromEnv({ ...SECRETS, FAL_KEY: 'fal-SECRET-0007', OTHER: 'not-a-secret' });
    expect(found.sort()).toEqual([...Object.values(SECRETS), 'fal-SECRET-0007'].sort());
  });

  it('a fal key written key_id:key_secret: each half alone too', () => {
    expect(secretsFromEnv({ FAL_KEY: 'id-0001:half-SECRET-0008' }).sort()).toEqual(
      ['half-SECRET-0008', 'id-0001', 'id-0001:half-SECRET-0008'].sort(),
    );
  });
});
