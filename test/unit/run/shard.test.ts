import { describe, expect, it } from 'vitest';
import { assignShards, parseShard, type ShardSpec } from '../../../src/index.js';
import type { PlanNode } from '../../../src/plan/types.js';
import { shardNodes } from '../../../src/run/shard.js';

/** A plan node of `pass` on one source instance; `from` is the upstream pass (same instance and variant). */
function node(pass: string, source: string, instance: string | null, from: string | null, variant = null): PlanNode {
  const suffix = `${instance === null ? '' : `@${instance}`}${variant === null ? '' : `#${variant}`}`;
  return {
    id: `${pass}${suffix}`,
    pass,
    source,
    instance,
    variant,
    input: from === null ? { kind: 'source', source, instance } : { kind: 'node', id: `${from}${suffix}` },
    prompt: `do ${pass}`,
    seed: null,
    aspectRatio: null,
    model: 'm',
    params: {},
    save: null,
    depth: from === null ? 1 : 2,
  };
}

/** `chains[i]` nodes on instance `inst-<i>` of glob source `shots`, plus `extra` single-file sources of 2 nodes. */
function plan(chains: readonly number[], extra = 0): PlanNode[] {
  const nodes: PlanNode[] = [];
  chains.forEach((len, i) => {
    for (let k = 0; k < len; k++) nodes.push(node(`p${k}`, 'shots', `inst-${i}`, k === 0 ? null : `p${k - 1}`));
  });
  for (let i = 0; i < extra; i++) {
    nodes.push(node(`solo-${i}`, `single-${i}`, null, null), node(`after-${i}`, `single-${i}`, null, `solo-${i}`));
  }
  return nodes;
}

/** Deterministic shuffle (a fixed LCG), so "input order" varies without randomness in the test. */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const unitOf = (n: PlanNode): string => (n.instance === null ? n.source : `${n.source}@${n.instance}`);

const PLANS: readonly [string, PlanNode[]][] = [
  ['13 equal chains', plan(Array.from({ length: 13 }, () => 3))],
  ['uneven chains and single sources', plan([5, 1, 4, 2, 2, 7, 3, 1, 1, 6], 3)],
  ['fewer instances than shards', plan([2, 2])],
];

describe('assignShards / shardNodes', () => {
  for (const [name, nodes] of PLANS) {
    for (let count = 1; count <= 7; count++) {
      it(`${name}, n=${count}: every node and instance in exactly one shard, chains whole, balanced`, () => {
        const shards = Array.from({ length: count }, (_, i) =>
          shardNodes(nodes, nodes, { index: i + 1, count } satisfies ShardSpec),
        );
        // Every node exactly once across the shards.
        const seen = shards.flat().map((n) => n.id);
        expect(seen.sort()).toEqual(nodes.map((n) => n.id).sort());
        // Every instance in one shard only, and every node's upstream in its own shard.
        const shardOf = new Map<string, number>();
        shards.forEach((s, i) => {
          for (const n of s) {
            expect(shardOf.get(unitOf(n)) ?? i).toBe(i);
            shardOf.set(unitOf(n), i);
          }
          const ids = new Set(s.map((n) => n.id));
          for (const n of s) if (n.input.kind === 'node') expect(ids.has(n.input.id)).toBe(true);
        });
        // Balanced: sizes in nodes differ by at most the largest instance's node count.
        const unitSizes = new Map<string, number>();
        for (const n of nodes) unitSizes.set(unitOf(n), (unitSizes.get(unitOf(n)) ?? 0) + 1);
        const sizes = shards.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(Math.max(...unitSizes.values()));
      });
    }
  }

  it('equal chains split evenly: 13 instances of 3 nodes over 5 shards → 9 or 6 nodes each', () => {
    const nodes = PLANS[0]?.[1] ?? [];
    const sizes = [1, 2, 3, 4, 5].map((index) => shardNodes(nodes, nodes, { index, count: 5 }).length);
    expect(sizes).toEqual([9, 9, 9, 6, 6]);
  });

  it('is the same split whatever order the nodes come in', () => {
    const nodes = PLANS[1]?.[1] ?? [];
    for (let count = 1; count <= 7; count++) {
      const reference = assignShards(nodes, count);
      for (const seed of [1, 2, 3, 99]) expect(assignShards(shuffled(nodes, seed), count)).toEqual(reference);
    }
  });

  it('does not depend on the locale: instance names sort by UTF-16 code units', () => {
    // localeCompare would put "b" before "C" (and differ between ICU builds); code units put "C" first.
    const nodes = [node('p', 'shots', 'b', null), node('p', 'shots', 'C', null), node('p', 'shots', 'a', null)];
    expect([...assignShards(nodes, 3)]).toEqual([
      ['shots@C', 1],
      ['shots@a', 2],
      ['shots@b', 3],
    ]);
  });

  it('--only and --shard intersect: the split is the whole plan’s, the selection only narrows it', () => {
    const nodes = PLANS[0]?.[1] ?? [];
    const only = nodes.filter((n) => n.pass === 'p0');
    for (let index = 1; index <= 4; index++) {
      const full = shardNodes(nodes, nodes, { index, count: 4 });
      const narrowed = shardNodes(nodes, only, { index, count: 4 });
      expect(narrowed.map((n) => n.id)).toEqual(full.filter((n) => n.pass === 'p0').map((n) => n.id));
    }
    // A selection outside this shard leaves it empty (a CI matrix job with nothing to do), not an error.
    const one = nodes.filter((n) => n.instance === 'inst-0');
    const owner = assignShards(nodes, 4).get('shots@inst-0') ?? 0;
    const other = owner === 1 ? 2 : 1;
    expect(shardNodes(nodes, one, { index: other, count: 4 })).toEqual([]);
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['2/5', { index: 2, count: 5 }],
    [' 5/5 ', { index: 5, count: 5 }],
  ])('%s', (value, spec) => expect(parseShard(value)).toEqual(spec));

  it.each(['0/5', '6/5', '1/0', 'a/b', '2', '2/5/7', '-1/5', '1.5/3', '', '1/1001', '2 /5'])(
    '%s is a usage error (exit 64, one line)',
    (value) => {
      let caught: unknown;
      try {
        parseShard(value);
      } catch (e) {
        caught = e;
      }
      expect(caught).toMatchObject({ exitCode: 64, code: 'E_USAGE' });
      expect(String((caught as Error).message)).not.toContain('\n');
    },
  );
});
