/**
 * A proxy in front of BFL or fal.ai that answers 503 (an HTML page) AFTER the service accepted the
 * submit: the BUILT CLI pays exactly once over a run and a re-run. The first run keeps the intent
 * ("maybe paid", E_SUBMIT_UNCERTAIN), the re-run stops the node (75) without submitting, and only
 * `--resubmit-uncertain` sends it again. The emulator's log marks every submit it accepted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { EmulatorHandle } from '../../src/index.js';
import { envFor, project, run, tempDir, useProviderEmulator } from './provider-bfl-fal-kit.js';

const started = useProviderEmulator();
let emulator: EmulatorHandle;

beforeAll(() => {
  emulator = started();
});

const recipe = (provider: string): string => `version: 1
name: one
provider: ${provider}
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: tint
    prompt: "Tint the whole image blue"
`;

const PROVIDERS = [
  { provider: 'bfl', submit: '/v1/flux-kontext-pro' },
  { provider: 'fal', submit: '/fal-ai/flux-pro/kontext' },
] as const;

/** Submits that reached the emulator, and those it accepted (paid for). */
function submits(path: string): { sent: number; paid: number } {
  const posts = emulator.requestLog().filter((e) => e.method === 'POST' && e.path === path);
  return { sent: posts.length, paid: posts.filter((e) => e.accepted === true).length };
}

describe.each(PROVIDERS)('$provider: a 503 proxy page after the submit was accepted', ({ provider, submit }) => {
  it('a run and a re-run pay once; --resubmit-uncertain is the only way to pay again', async () => {
    emulator.setScenario({
      faults: [{ kind: 'http', on: 'submit', status: 503, body: 'html', after_accept: true }],
    });
    const root = await project(recipe(provider));
    const env = envFor(emulator, await tempDir('home'));
    const first = await run(root, env);
    expect(submits(submit)).toEqual({ sent: 1, paid: 1 });
    expect(first.code, first.stdout + first.stderr).toBe(69);
    expect(first.stderr).toMatch(/E_SUBMIT_UNCERTAIN/);

    emulator.setScenario({});
    const again = await run(root, env);
    expect(again.code, again.stdout + again.stderr).toBe(75);
    expect(again.stderr).toMatch(/--resubmit-uncertain/);
    expect(submits(submit)).toEqual({ sent: 1, paid: 1 });

    const asked = await run(root, env, ['--resubmit-uncertain']);
    expect(asked.code, asked.stdout + asked.stderr).toBe(0);
    expect(submits(submit)).toEqual({ sent: 2, paid: 2 });
  }, 60_000);

  it('a refusal asking for a day (429, Retry-After: 86400) fails at once (75); the re-run pays once', async () => {
    emulator.setScenario({ faults: [{ kind: 'http', on: 'submit', status: 429, retry_after: 86_400 }] });
    const root = await project(recipe(provider));
    const env = envFor(emulator, await tempDir('home'));
    const started = Date.now();
    const first = await run(root, env);
    expect(first.code, first.stdout + first.stderr).toBe(75);
    expect(first.stderr).toMatch(/asks to wait 86400 s/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(submits(submit)).toEqual({ sent: 1, paid: 0 });

    // Refused, so nothing is "maybe paid": the re-run submits without --resubmit-uncertain.
    emulator.setScenario({});
    const again = await run(root, env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(submits(submit)).toEqual({ sent: 2, paid: 1 });
  }, 60_000);
});
