/**
 * An API base on a private network (a company gateway on 10.x in front of RunComfy) is not local:
 * a hosting URL on the LAN is refused before the paid submit, as the public API could never fetch
 * it (walk-af 9). Only loopback counts (README, hosting). The gateway is the file's emulator behind
 * a test proxy that maps 10.0.0.5 to it, so nothing leaves the machine either way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProxy, type TestProxy } from '../helpers/connect-proxy.js';
import { cli } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const emulator = useEmulator();
const GATEWAY = '10.0.0.5';
let proxy: TestProxy;
beforeAll(async () => {
  proxy = await startTestProxy();
  proxy.map(GATEWAY, Number(new URL(emulator().origin).port));
});
afterAll(() => proxy.close());

const YAML = `version: 1
provider: runcomfy
hosting:
  mode: command
  command: echo http://192.168.1.20/portrait.jpg
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: bg
    prompt: Replace the background with a beach.
`;

describe('an API base on a private network', () => {
  it('gets no private hosting URL: refused before the submit, exit 65', async () => {
    const root = await project(YAML);
    const env = runcomfyEnv(emulator(), await tempDir('home'), {
      RUNCOMFY_MODEL_API_BASE: `http://${GATEWAY}:${new URL(emulator().origin).port}/v1`,
      KONTEXT_ALLOW_HOSTS: GATEWAY,
      http_proxy: proxy.url,
    });
    const before = [submits(emulator()), proxy.tunnels.length];
    const r = await cli(['run', 'recipe.yml', '--trust-recipe-hosting'], { cwd: root, env });
    expect(r.code, r.stdout + r.stderr).toBe(65);
    expect(r.stdout + r.stderr).toMatch(/E_HOSTING_PRIVATE_URL/);
    expect([submits(emulator()), proxy.tunnels.length]).toEqual(before);
  });
});
