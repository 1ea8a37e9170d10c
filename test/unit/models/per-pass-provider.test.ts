/**
 * Provider per pass in the plan and the cache key: a node carries its pass's provider; changing
 * one pass's provider changes that pass's key (and its downstream's, through the input) and no
 * other; `--provider` moves every node; a moved node must still be runnable there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKontextError } from '../../../src/errors.js';
import { buildPlan, planToJson, renderPlanText } from '../../../src/plan/index.js';
import type { Plan } from '../../../src/plan/types.js';
import type { Provider } from '../../../src/providers/types.js';
import { validateRecipe } from '../../../src/recipe/validate.js';
import { billableByProvider, checkRunnable, overrideProvider, providerOf } from '../../../src/run/node-provider.js';
import { keyFor } from '../../../src/run/node-request.js';
import type { Prepared } from '../../../src/run/prepare.js';
import { priceRun } from '../../../src/run/prices.js';
import type { NodeState } from '../../../src/run/resolve.js';
import { createRuntime } from '../../../src/runtime.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kontext-per-pass-'));
  await mkdir(path.join(root, '.git'));
  await writeFile(path.join(root, 'a.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function planOf(passes: string, head = 'version: 1\n'): Promise<Plan> {
  const text = `${head}sources:\n  photo: a.png\npasses:\n${passes}`;
  const rt = createRuntime({ cwd: root, env: {} });
  const r = await validateRecipe(text, { displayPath: 'r.yml', file: path.join(root, 'r.yml'), rt });
  if (!r.recipe) throw new Error(r.problems.map((p) => p.message).join('; '));
  return buildPlan(r.recipe);
}

const SHA = 'a'.repeat(64);
const keysOf = (plan: Plan): Record<string, string> =>
  Object.fromEntries(plan.nodes.map((n) => [n.id, keyFor(n, providerOf(n, 'runcomfy'), SHA, 7)]));

/** Every node billable (states as resolve would make them for a first run). */
function prepared(plan: Plan): Prepared {
  const states = new Map<string, NodeState>(
    plan.nodes.map((node) => [
      node.id,
      {
        node,
        seed: 7,
        seedSource: 'drawn',
        inputSha: SHA,
        key: null,
        record: null,
        status: 'run',
        reason: 'not-cached',
        forced: false,
      } as NodeState,
    ]),
  );
  return { plan, nodes: plan.nodes, states, lock: { version: 1, nodes: {} }, billable: states.size };
}

const A = '  - id: a\n    prompt: Keep the face. Add a hat.\n';
const B = '  - id: b\n    prompt: Keep the hat. Make it red.\n';

describe('per-pass provider in the plan and the key', () => {
  it('nodes carry their pass provider (pass > defaults > recipe)', async () => {
    const plan = await planOf(`${A}${B}    provider: fal\n`, 'version: 1\nprovider: emulator\n');
    expect(plan.nodes.map((n) => [n.id, n.provider])).toEqual([
      ['a', 'emulator'],
      ['b', 'fal'],
    ]);
    // `kontext plan` names a provider only where it is not the recipe's; the JSON always does.
    const text = renderPlanText(plan);
    expect(text).toMatch(/b {2}on fal {2}"Keep the hat/);
    expect(text).not.toContain('on emulator');
    expect(planToJson(plan).nodes.map((n) => n.provider)).toEqual(['emulator', 'fal']);
  });

  it("changing one pass's provider changes its key only", async () => {
    const before = keysOf(await planOf(`${A}${B}`));
    const after = keysOf(await planOf(`${A}${B}    provider: bfl\n`));
    expect(after['a']).toBe(before['a']);
    expect(after['b']).not.toBe(before['b']);
  });

  it('a recipe naming no provider keys exactly as before (runcomfy), and an alias keys like our id', async () => {
    const plain = await planOf(A);
    const node = plain.nodes[0]!;
    expect(keyFor(node, providerOf(node, 'emulator'), SHA, 7)).toBe(keyFor(node, 'runcomfy', SHA, 7));
    const aliased = await planOf(`${A}    model: flux-kontext-pro\n`);
    expect(keysOf(aliased)).toEqual(keysOf(plain));
  });

  it('--provider moves every node (and so every key)', async () => {
    const plan = await planOf(`${A}${B}    provider: fal\n`);
    const moved = overrideProvider(plan, 'emulator');
    expect(moved.nodes.map((n) => n.provider)).toEqual(['emulator', 'emulator']);
    expect(overrideProvider(plan, undefined)).toBe(plan);
    expect(keysOf(moved)['a']).not.toBe(keysOf(plan)['a']);
  });

  it('billable nodes are grouped by provider and model (hand-built nodes fall back to the run)', async () => {
    const plan = await planOf(`${A}${B}    provider: fal\n    model: flux-kontext-max\n`);
    const groups = billableByProvider(prepared(plan), 'emulator');
    expect([...groups].map(([p, m]) => [p, [...m]])).toEqual([
      ['runcomfy', [['blackforestlabs/flux-1-kontext/pro/edit', 1]]],
      ['fal', [['blackforestlabs/flux-1-kontext/max/edit', 1]]],
    ]);
    const bare = { ...plan, nodes: plan.nodes.map(({ provider: _p, ...n }) => n) };
    expect([...billableByProvider(prepared(bare), 'emulator').keys()]).toEqual(['emulator']);
  });
});

describe('a node moved by --provider must be runnable there', () => {
  const failure = (fn: () => void): { code: string; exitCode: number; message: string } => {
    try {
      fn();
    } catch (e) {
      if (isKontextError(e)) return { code: e.code, exitCode: e.exitCode, message: e.message };
      throw e;
    }
    throw new Error('expected a failure');
  };

  it('a model the provider does not run', async () => {
    const plan = overrideProvider(await planOf(`${A}    model: flux-kontext-dev\n`), 'bfl');
    expect(failure(() => checkRunnable(prepared(plan), 'runcomfy'))).toMatchObject({
      code: 'E_MODEL_PROVIDER',
      exitCode: 65,
    });
  });

  it('params the provider does not take', async () => {
    const plan = overrideProvider(
      await planOf(`${A}    provider: replicate\n    params: { output_format: jpg }\n`),
      'fal',
    );
    const f = failure(() => checkRunnable(prepared(plan), 'runcomfy'));
    expect(f).toMatchObject({ code: 'E_PARAMS', exitCode: 65 });
    expect(f.message).toContain('a: params.output_format');
  });

  it('runnable nodes pass', async () => {
    const plan = await planOf(`${A}    provider: fal\n    params: { output_format: png }\n`);
    expect(() => checkRunnable(prepared(plan), 'runcomfy')).not.toThrow();
  });
});

describe('prices', () => {
  const unasked: Provider = {
    name: 'runcomfy',
    modelInfo: () => Promise.reject(new Error('a table price must not ask the provider')),
    submit: () => Promise.reject(new Error('unused')),
    wait: () => Promise.reject(new Error('unused')),
    cancel: () => Promise.reject(new Error('unused')),
    download: () => Promise.reject(new Error('unused')),
  };

  it('BFL, fal and Replicate are priced from the table, per model', async () => {
    const plan = await planOf(
      `${A}    provider: bfl\n    model: flux-kontext-max\n${B}    provider: fal\n` +
        '  - id: c\n    prompt: Keep it. Add a scarf.\n    provider: replicate\n',
    );
    const price = await priceRun(prepared(plan), { provider: unasked, providerName: 'runcomfy' });
    expect(price.known && price.totalUsd).toBeCloseTo(0.08 + 0.04 + 0.04, 9);
  });

  it('the total has no float noise (walk-q: a dry run said cost_usd 0.15000000000000002)', async () => {
    const tenCents: Provider = { ...unasked, modelInfo: async (model) => ({ model, priceUsd: 0.1 }) };
    const plan = await planOf(`${A}${B}  - id: c\n    prompt: Keep it. Add a scarf.\n`);
    const price = await priceRun(prepared(plan), { provider: tenCents, providerName: 'runcomfy' });
    expect(0.1 * 3).not.toBe(0.3);
    expect(price).toEqual({ known: true, totalUsd: 0.3 });
  });

  it('RunComfy asks the catalog of the node provider', async () => {
    const asked: string[] = [];
    const catalog = (name: string): Provider => ({
      ...unasked,
      name,
      modelInfo: async (model) => {
        asked.push(`${name} ${model}`);
        return { model, priceUsd: name === 'emulator' ? null : 0.05 };
      },
    });
    const plan = await planOf(`${A}${B}    provider: emulator\n`);
    const price = await priceRun(prepared(plan), {
      provider: catalog('runcomfy'),
      providerName: 'runcomfy',
      providerFor: catalog,
    });
    expect(asked).toEqual([
      'runcomfy blackforestlabs/flux-1-kontext/pro/edit',
      'emulator blackforestlabs/flux-1-kontext/pro/edit',
    ]);
    expect(price).toEqual({
      known: false,
      provider: 'emulator',
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
      why: 'emulator reports no price for it',
    });
  });
});
