/**
 * BFL end to end: the BUILT CLI against a standalone emulator speaking BFL's protocol (its
 * polling_url on the emulator's second listener), counted per route in its request log.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../../src/index.js';
import {
  anyFileContains,
  calls,
  useProviderEmulator,
  countBy,
  envFor,
  files,
  KEYS,
  project,
  run,
  tempDir,
} from './provider-bfl-fal-kit.js';

const started = useProviderEmulator();
let emulator: EmulatorHandle;

beforeAll(() => {
  emulator = started();
});

const CHAIN = `version: 1
name: chain
provider: bfl
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    prompt: "Tint the whole image blue"
    params: { output_format: jpeg }
  - id: frame
    prompt: "Add a thin white frame"
`;

describe('BFL through the CLI', () => {
  it('a 3-pass chain: one submit, polls on the polling host, one download per pass; re-runs are free', async () => {
    const root = await project(CHAIN);
    const home = await tempDir('home');
    const env = envFor(emulator, home);
    const r = await run(root, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const counts = countBy(emulator);
    expect(counts['POST /v1/flux-kontext-pro 200']).toBe(3);
    expect(Object.keys(counts).filter((k) => k.startsWith('POST'))).toEqual(['POST /v1/flux-kontext-pro 200']);
    expect(counts['GET /bfl-delivery/<id>/sample.png 200']).toBe(2);
    expect(counts['GET /bfl-delivery/<id>/sample.jpg 200']).toBe(1);
    // Every poll went to the polling host and succeeded (the base host answers 404 there).
    expect(calls(emulator).filter((c) => / [45]\d\d$/.test(c))).toEqual([]);
    const out = await files(join(root, 'out'));
    expect(out).toHaveLength(3);
    const jpg = out.find((f) => f.startsWith('chain/tint/')) ?? '';
    expect((await readFile(join(root, 'out', jpg))).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    // The seed BFL reports is the one we sent (no warning), and the key is nowhere.
    expect(r.stdout + r.stderr).not.toMatch(/reports seed/);
    expect(r.stdout + r.stderr).not.toContain(KEYS.bfl);
    expect(await anyFileContains(root, KEYS.bfl)).toBeNull();
    expect(await anyFileContains(home, KEYS.bfl)).toBeNull();
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as {
      nodes: Record<string, { request_id?: string; provider?: string }>;
    };
    expect(lock.nodes['crop']?.provider).toBe('bfl');

    const before = calls(emulator).length;
    const again = await run(root, env);
    expect(again.code, again.stderr).toBe(0);
    expect(calls(emulator).length).toBe(before);

    // The provider is part of the key: a preview on another names that as the reason (walk-ab 3).
    const elsewhere = await run(root, env, ['--dry-run', '--provider', 'runcomfy']);
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout).toMatch(/crop\s+will run: provider changed/);
    expect(
      calls(emulator)
        .slice(before)
        .filter((c) => c.startsWith('POST')),
    ).toEqual([]); // a price read at most
  });

  it('an expired delivery URL (10 min; here 300 ms) costs nothing: downloaded at once, then cached', async () => {
    const short = await startEmulator({ queueMs: 5, runMs: 10, deliveryTtlMs: 300 });
    try {
      const root = await project(CHAIN.replace(/ {2}- id: tint[\s\S]*$/, ''));
      const env = envFor(short, await tempDir('home'));
      expect((await run(root, env)).code).toBe(0);
      const sample = short.requestLog().find((e) => e.path.startsWith('/bfl-delivery/'));
      expect(sample?.status).toBe(200);
      await new Promise((r) => setTimeout(r, 400));
      // The URL is dead now ...
      const lockText = await readFile(join(root, 'recipe.lock.json'), 'utf8');
      expect(lockText).not.toContain('sig=');
      const cached = (await files(join(root, 'out')))[0] ?? '';
      const bytes = await readFile(join(root, 'out', cached));
      await rm(join(root, 'out'), { recursive: true });
      const before = short.requestLog().length;
      // ... and the re-run costs nothing: the output comes back from the cache, byte for byte.
      const again = await run(root, env);
      expect(again.code, again.stderr).toBe(0);
      expect(short.requestLog().length).toBe(before);
      expect(await readFile(join(root, 'out', cached))).toEqual(bytes);
    } finally {
      await short.close();
    }
  });

  it('moderation fails its pass (exit 1, E_MODERATED); passes before it stay, later ones are skipped', async () => {
    emulator.setScenario({ faults: [{ kind: 'remote-failed', nth: 2 }] });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/Content Moderated/);
    expect(countBy(emulator)['POST /v1/flux-kontext-pro 200']).toBe(2);
    expect((await files(join(root, 'out'))).map((f) => f.split('/')[1])).toEqual(['crop']);
  });

  it('429 with Retry-After, then without: waited out, one accepted submit per pass', async () => {
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 0.1 },
        { kind: 'http', on: 'submit', nth: 2, status: 429 },
      ],
    });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const counts = countBy(emulator);
    expect(counts['POST /v1/flux-kontext-pro 429']).toBe(2);
    expect(counts['POST /v1/flux-kontext-pro 200']).toBe(3);
  });

  it('a 5xx storm on polls is ridden out by retries: one submit, the run succeeds', async () => {
    emulator.setScenario({ faults: [{ kind: 'http', on: 'status', nth: 1, times: 3, status: 503 }] });
    const root = await project(CHAIN.replace(/ {2}- id: tint[\s\S]*$/, ''));
    const env = envFor(emulator, await tempDir('home'));
    const r = await run(root, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(countBy(emulator)['GET /v1/get_result 503']).toBe(3);
    expect(countBy(emulator)['POST /v1/flux-kontext-pro 200']).toBe(1);
  }, 60_000);

  it("a stray 404 on a poll (a proxy's, not BFL's), a result without its URL: read again, one submit", async () => {
    // walk-n: it failed the node at once (exit 75), where the next read answers.
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'status', nth: 1, times: 1, status: 404 },
        { kind: 'missing-output', nth: 1, times: 1 },
      ],
    });
    const root = await project(CHAIN.replace(/ {2}- id: tint[\s\S]*$/, ''));
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(countBy(emulator)['GET /v1/get_result 404']).toBe(1);
    expect(countBy(emulator)['POST /v1/flux-kontext-pro 200']).toBe(1);
    // Both warnings name BFL's task id, which is in the polling URL's query that messages drop
    // (they said `request http://…/v1/get_result?… finished without an output URL`: fix29 b).
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as {
      nodes: Record<string, { request_id?: string }>;
    };
    const task = new URL(lock.nodes['crop']?.request_id ?? '').searchParams.get('id') ?? '';
    expect(task).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.stderr).toContain(
      `request ${task} was answered 404 without the word that it is unknown; reading it again`,
    );
    expect(r.stderr).toContain(`request ${task} finished without an output URL; reading it again`);
    expect(r.stdout + r.stderr).not.toContain(KEYS.bfl);
  }, 60_000);

  it('Ctrl-C while BFL works: nothing to cancel, journaled, the next run re-attaches for free', async () => {
    // Queued until the run is stopped (not a 2 s queue the next run waited out).
    const release = emulator.hold('queued');
    const root = await project(CHAIN.replace(/ {2}- id: tint[\s\S]*$/, ''));
    const env = envFor(emulator, await tempDir('home'));
    const { spawnCli } = await import('../helpers/cli-spawn.js');
    const child = spawnCli(['run', 'recipe.yml'], { cwd: root, env });
    const deadline = Date.now() + 20_000;
    while (!calls(emulator).some((c) => c.startsWith('POST /v1/flux-kontext-pro 200')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
    child.child.kill('SIGINT');
    const r = await child.done;
    expect(r.code, child.output()).toBe(130);
    release();
    const again = await run(root, env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const counts = countBy(emulator);
    expect(counts['POST /v1/flux-kontext-pro 200']).toBe(1);
    expect(Object.keys(counts).some((k) => k.includes('cancel'))).toBe(false);
  }, 60_000);

  it('a mixed-provider recipe: BFL, then fal.ai, then RunComfy, each on its own host, submitted once', async () => {
    const root = await project(`version: 1
name: mixed
provider: bfl
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    provider: fal
    model: flux-kontext-pro
    prompt: "Tint the whole image blue"
  - id: frame
    provider: runcomfy
    prompt: "Add a thin white frame"
`);
    const env = envFor(emulator, await tempDir('home'));
    const r = await run(root, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const counts = countBy(emulator);
    expect(Object.entries(counts).filter(([k]) => k.startsWith('POST'))).toEqual([
      ['POST /v1/flux-kontext-pro 200', 1],
      ['POST /fal-ai/flux-pro/kontext 200', 1],
      ['POST /v1/models/blackforestlabs/flux-1-kontext/pro/edit 200', 1],
    ]);
    expect(calls(emulator).filter((c) => / [45]\d\d$/.test(c))).toEqual([]);
    const lock = JSON.parse(await readFile(join(root, 'recipe.lock.json'), 'utf8')) as {
      nodes: Record<string, { provider?: string }>;
    };
    expect(Object.fromEntries(Object.entries(lock.nodes).map(([id, n]) => [id, n.provider]))).toEqual({
      crop: 'bfl',
      tint: 'fal',
      frame: 'runcomfy',
    });
    const before = calls(emulator).length;
    expect((await run(root, env)).code).toBe(0);
    expect(calls(emulator).length).toBe(before);
  });
});
