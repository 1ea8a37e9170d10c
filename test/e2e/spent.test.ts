/**
 * A run says what it spent: the built CLI against a standalone emulator whose RunComfy model info
 * names a price ($0.05, not the emulator's default), the submits counted in its request log. The
 * summary's `spent` is those submits × that price; a fully cached re-run spent nothing; `--json`'s
 * `run-summary` carries `cost_usd` and the per-model breakdown; a price the provider does not
 * publish makes the total a lower bound, never a guess.
 */
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/index.js';
import { cli, cliEnv } from '../helpers/cli-spawn.js';
import { project, runcomfyEnv, submits, tempDir, useEmulator } from '../helpers/e2e-kit.js';

const PRICE = 0.05;
const emulator = useEmulator({ queueMs: 5, runMs: 10, priceUsd: PRICE });

/** One photo, a chain of two passes and a pass of three variants: five nodes, five requests. */
const YAML = `version: 1
name: spend
provider: runcomfy
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: tint
    prompt: "Tint the whole image blue"
  - id: bag
    from: photo
    variants: 3
    prompt: "Give the astronaut a leather bag"
`;

interface Summary {
  type: string;
  submitted: number;
  cost_usd: number | null;
  spend: {
    requests: number;
    maybe_paid: number;
    unpriced: number;
    known_usd: number;
    by_model: { provider: string; model: string; requests: number; price_usd: number | null }[];
  };
}

function summaryOf(stdout: string): Summary {
  const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Summary;
  expect(last.type).toBe('run-summary');
  return last;
}

describe('kontext run: what the run spent', () => {
  it('prints the submits × their price, $0.00 once everything is cached, and cost_usd in --json', async () => {
    const root = await project(YAML);
    const env = runcomfyEnv(emulator(), await tempDir('home'));
    const before = submits(emulator());
    const first = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(first.code, first.stderr).toBe(0);
    const paid = submits(emulator()) - before;
    expect(paid).toBe(5);
    const cost = `$${(paid * PRICE).toFixed(2)}`;
    expect(first.stderr).toContain(`submitted ${paid} · spent ${cost} (${paid} requests) · `);

    const again = await cli(['run', 'recipe.yml'], { cwd: root, env });
    expect(again.code, again.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(paid);
    expect(again.stderr).toMatch(/submitted 0 · spent \$0\.00 · /);
    const cached = summaryOf((await cli(['run', 'recipe.yml', '--json'], { cwd: root, env })).stdout);
    expect(cached).toMatchObject({ submitted: 0, cost_usd: 0, spend: { requests: 0, known_usd: 0, by_model: [] } });

    const forced = await cli(['run', 'recipe.yml', '--json', '--force', '--only', 'bag'], { cwd: root, env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(submits(emulator()) - before).toBe(paid + 3);
    const s = summaryOf(forced.stdout);
    expect(s.submitted).toBe(3);
    expect(s.cost_usd).toBeCloseTo(3 * PRICE, 9);
    expect(s.spend).toMatchObject({ requests: 3, maybe_paid: 0, unpriced: 0 });
    expect(s.spend.by_model).toEqual([
      { provider: 'runcomfy', model: expect.any(String) as string, requests: 3, price_usd: PRICE },
    ]);
  });

  it('a model whose price is unknown: the known part as a lower bound and how many are unpriced', async () => {
    // RunComfy's model info without a price; fal's price comes from the model table ($0.04).
    const unpriced = await startEmulator({ queueMs: 5, runMs: 10, priceUsd: null });
    try {
      const root = await project(`version: 1
name: mixed
provider: fal
hosting: { mode: inline }
sources:
  photo: assets/portrait-astronaut.jpg
passes:
  - id: crop
    prompt: "Crop the photo to a square around the face"
  - id: frame
    provider: runcomfy
    prompt: "Add a thin white frame"
`);
      const env = cliEnv(await tempDir('home'), {
        FAL_QUEUE_BASE: unpriced.origin,
        FAL_KEY: 'fal-e2e-id:fal-e2e-secret',
        RUNCOMFY_MODEL_API_BASE: unpriced.baseUrl,
        RUNCOMFY_TOKEN: 'test-token',
        KONTEXT_ALLOW_HOSTS: '127.0.0.1',
      });
      const r = await cli(['run', 'recipe.yml'], { cwd: root, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('submitted 2 · spent ≥ $0.04 (2 requests, 1 at an unknown price) · ');

      const json = await cli(['run', 'recipe.yml', '--json', '--force'], { cwd: root, env });
      expect(json.code, json.stderr).toBe(0);
      const s = summaryOf(json.stdout);
      expect(s.cost_usd).toBeNull();
      expect(s.spend).toMatchObject({ requests: 2, unpriced: 1, known_usd: 0.04 });
      expect(s.spend.by_model.map((m) => [m.provider, m.price_usd]).sort()).toEqual([
        ['fal', 0.04],
        ['runcomfy', null],
      ]);
    } finally {
      await unpriced.close();
    }
  });
});
