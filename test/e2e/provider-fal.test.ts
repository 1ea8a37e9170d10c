/**
 * fal.ai end to end: the BUILT CLI against a standalone emulator speaking fal's queue protocol,
 * counted per route in its request log.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../src/index.js';
import { spawnCli } from '../helpers/cli-spawn.js';
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
provider: fal
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    prompt: "Tint the whole image blue"
    params: { output_format: png }
`;

const SUBMIT = 'POST /fal-ai/flux-pro/kontext 200';

describe('fal.ai through the CLI', () => {
  it('a 2-pass chain: one submit per pass, default JPEG then PNG, no failed call; a re-run is free', async () => {
    const root = await project(CHAIN);
    const home = await tempDir('home');
    const env = envFor(emulator, home);
    const r = await run(root, env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const counts = countBy(emulator);
    expect(counts[SUBMIT]).toBe(2);
    expect(counts['GET /fal-media/files/<id>/output.jpg 200']).toBe(1);
    expect(counts['GET /fal-media/files/<id>/output.png 200']).toBe(1);
    expect(calls(emulator).filter((c) => / [45]\d\d$/.test(c))).toEqual([]);
    // Each wait was one status stream and one result read: no polling.
    expect(counts['GET /fal-ai/flux-pro/requests/<id>/status/stream 200']).toBe(2);
    expect(counts['GET /fal-ai/flux-pro/requests/<id>/status 200']).toBeUndefined();
    const out = await files(join(root, 'out'));
    expect(out.map((f) => f.split('/')[1])).toEqual(['crop', 'tint']);
    const crop = out.find((f) => f.startsWith('chain/crop/')) ?? '';
    expect((await readFile(join(root, 'out', crop))).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(r.stdout + r.stderr).not.toMatch(/reports seed/);
    for (const secret of [KEYS.fal, KEYS.fal.split(':')[1] ?? '']) {
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(await anyFileContains(root, secret)).toBeNull();
      expect(await anyFileContains(home, secret)).toBeNull();
    }
    const before = calls(emulator).length;
    expect((await run(root, env)).code).toBe(0);
    expect(calls(emulator).length).toBe(before);
  });

  it('moderation (422 content_policy_violation) fails the pass: exit 1, the next pass skipped', async () => {
    emulator.setScenario({ faults: [{ kind: 'remote-failed', nth: 1 }] });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/flagged/);
    expect(countBy(emulator)[SUBMIT]).toBe(1);
    expect(await files(join(root, 'out'))).toEqual([]);
  });

  it('429 with Retry-After, then without, on submit: one accepted submit per pass', async () => {
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'submit', nth: 1, status: 429, retry_after: 0.1 },
        { kind: 'http', on: 'submit', nth: 2, status: 429 },
      ],
    });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(countBy(emulator)['POST /fal-ai/flux-pro/kontext 429']).toBe(2);
    expect(countBy(emulator)[SUBMIT]).toBe(2);
  });

  it('a 5xx storm on status and result reads is ridden out: one submit per pass', async () => {
    emulator.setScenario({
      faults: [
        { kind: 'http', on: 'status', nth: 1, times: 2, status: 502 },
        { kind: 'http', on: 'result', nth: 1, times: 1, status: 503 },
      ],
    });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(countBy(emulator)[SUBMIT]).toBe(2);
  }, 60_000);

  it("a stray 404 on a result read (a proxy's, not fal's word): read again, the run succeeds", async () => {
    // walk-n: it failed the node at once (exit 75), where the next read answers.
    emulator.setScenario({ faults: [{ kind: 'http', on: 'result', nth: 1, times: 1, status: 404 }] });
    const root = await project(CHAIN);
    const r = await run(root, envFor(emulator, await tempDir('home')));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/was answered 404 without the word that it is unknown; reading it again/);
    expect(countBy(emulator)[SUBMIT]).toBe(2);
  }, 60_000);

  it('Ctrl-C while queued cancels the request (PUT cancel_url); the next run submits it again, once', async () => {
    emulator.setScenario({ queue_ms: 5_000 });
    const root = await project(CHAIN);
    const env = envFor(emulator, await tempDir('home'));
    const child = spawnCli(['run', 'recipe.yml'], { cwd: root, env });
    const deadline = Date.now() + 20_000;
    while (!calls(emulator).some((c) => c.startsWith(SUBMIT)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // The wait is on the status stream now (logged when it closes).
    await new Promise((r) => setTimeout(r, 300));
    child.child.kill('SIGINT');
    const r = await child.done;
    expect(r.code, child.output()).toBe(130);
    expect(countBy(emulator)['PUT /fal-ai/flux-pro/requests/<id>/cancel 202']).toBe(1);
    emulator.setScenario({});
    const again = await run(root, env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // The cancelled request was dropped from the journal: submitted anew (it was never paid).
    expect(countBy(emulator)[SUBMIT]).toBe(3);
  }, 60_000);
});
