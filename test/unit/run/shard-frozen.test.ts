import { describe, expect, it } from 'vitest';
import { FrozenError } from '../../../src/index.js';
import type { PlanNode } from '../../../src/plan/types.js';
import type { Provider } from '../../../src/providers/types.js';
import type { RunReason } from '../../../src/run/events.js';
import { frozenDeps, frozenFailure } from '../../../src/run/frozen.js';
import type { RunDeps } from '../../../src/run/options.js';
import type { Prepared } from '../../../src/run/prepare.js';
import type { NodeState } from '../../../src/run/resolve.js';

function node(id: string, from: string | null): PlanNode {
  return {
    id,
    pass: id.split(/[@#]/)[0] ?? id,
    source: 'shots',
    instance: null,
    variant: null,
    input: from === null ? { kind: 'source', source: 'shots', instance: null } : { kind: 'node', id: from },
    prompt: id,
    seed: null,
    aspectRatio: null,
    model: 'm',
    params: {},
    save: null,
    depth: 1,
  };
}

type Row = readonly [id: string, from: string | null, state: 'cached' | RunReason | 'unknown-input'];

/** A prepared run from rows: `cached`, a reason (runs with its input known), or `unknown-input` (upstream runs). */
function prepared(rows: readonly Row[]): Prepared {
  const nodes = rows.map(([id, from]) => node(id, from));
  const states = new Map<string, NodeState>();
  rows.forEach(([id, , state], i) => {
    const n = nodes[i] as PlanNode;
    const known = state !== 'unknown-input';
    const reasons: Record<string, RunReason | null> = { cached: null, 'unknown-input': 'input-changed' };
    const reason = state in reasons ? (reasons[state] ?? null) : (state as RunReason);
    states.set(id, {
      node: n,
      seed: 1,
      seedSource: 'lock',
      inputSha: known ? 'a'.repeat(64) : null,
      key: known ? 'b'.repeat(64) : null,
      record: null,
      status: state === 'cached' ? 'cached' : 'run',
      reason,
      forced: false,
    });
  });
  const plan = { recipe: { name: 't', file: 't.yml', provider: 'emulator', outDir: 'out' }, nodes, edges: [] };
  return { plan: { ...plan, criticalPathDepth: 3 }, nodes, states, lock: { version: 1, nodes: {} }, billable: 0 };
}

describe('frozenFailure', () => {
  it('is null when every node is cached', () => {
    expect(
      frozenFailure(
        prepared([
          ['a', null, 'cached'],
          ['b', 'a', 'cached'],
        ]),
      ),
    ).toBeNull();
  });

  it('lists every chain: the nodes that need a request with why, the rest blocked by the first of them above', () => {
    const err = frozenFailure(
      prepared([
        ['a', null, 'cached'],
        ['b#1', 'a', 'cached'],
        ['b#2', 'a', 'prompt-changed'],
        ['c#1', 'b#1', 'new'],
        ['c#2', 'b#2', 'unknown-input'],
        ['r', null, 'new'],
        ['r2', 'r', 'unknown-input'],
        ['r3', 'r2', 'unknown-input'],
        ['j', null, 'reattach'],
      ]),
    );
    expect(err).toBeInstanceOf(FrozenError);
    expect(err?.exitCode).toBe(65);
    expect(err?.misses.map((m) => [m.node, m.blockedBy])).toEqual([
      ['b#2', null],
      ['c#1', null],
      ['c#2', 'b#2'],
      ['r', null],
      ['r2', 'r'],
      ['r3', 'r'],
      ['j', null],
    ]);
    const lines = err?.message.split('\n') ?? [];
    expect(lines[0]).toBe('--frozen: 7 nodes in no cache and not up to date in the lock; nothing submitted or written');
    expect(lines.slice(1)).toEqual([
      '  b#2: prompt changed since the lock, would need a request',
      '  c#1: new, would need a request',
      '  c#2: blocked by b#2',
      '  r: new, would need a request',
      '  r2: blocked by r',
      '  r3: blocked by r',
      '  j: a request of an interrupted run is still in the journal (re-attaching would call the API)',
    ]);
  });
});

describe('frozenDeps', () => {
  it('refuses every submit (exit 65) and passes the other calls through', async () => {
    const calls: string[] = [];
    const provider: Provider = {
      name: 'emulator',
      modelInfo: async () => {
        calls.push('modelInfo');
        return { priceUsd: null } as never;
      },
      submit: async () => {
        calls.push('submit');
        return { requestId: 'paid' };
      },
      wait: async (id) => {
        calls.push(`wait ${id}`);
        return { outputUrls: ['http://127.0.0.1/x.png'] };
      },
      cancel: async () => 'cancelled',
      download: async () => {
        throw new Error('not used');
      },
    };
    const deps = frozenDeps({ provider, providerName: 'emulator' } as unknown as RunDeps);
    const req = { model: 'm', prompt: 'p', imageUrl: 'data:,', seed: 1, aspectRatio: undefined, params: {} };
    await expect(deps.provider.submit(req)).rejects.toMatchObject({ code: 'E_FROZEN', exitCode: 65 });
    await expect(deps.provider.wait('r-1')).resolves.toEqual({ outputUrls: ['http://127.0.0.1/x.png'] });
    expect(calls).toEqual(['wait r-1']);
    expect(deps.providerName).toBe('emulator');
  });
});
