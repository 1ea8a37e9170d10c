import { describe, expect, it } from 'vitest';
import { buildPlan, planJsonSchema, planToJson, renderPlanMermaid, renderPlanText } from '../../../src/plan/index.js';
import type { Plan } from '../../../src/plan/index.js';
import type { Pass, Recipe } from '../../../src/recipe/types.js';
import { makeRecipe, type PassSpec, type SourceSpec } from './factory.js';

/** A recipe whose passes may carry `pick` and a `from: <pass>#<k>` variant. */
function recipe(
  sources: Record<string, SourceSpec>,
  passes: readonly (PassSpec & { pick?: number; fromVariant?: number })[],
): Recipe {
  const base = makeRecipe(sources, passes);
  const withPicks: Pass[] = base.passes.map((p, i) => {
    const spec = passes[i];
    const from =
      p.from.kind === 'pass' && spec?.fromVariant !== undefined ? { ...p.from, variant: spec.fromVariant } : p.from;
    return { ...p, from, ...(spec?.pick === undefined ? {} : { pick: spec.pick }) };
  });
  return { ...base, passes: withPicks };
}

const ids = (plan: Plan): string[] => plan.nodes.map((n) => n.id);
const chain = (pick?: number) =>
  recipe({ photo: 'photo.jpg' }, [
    { id: 'bag', variants: 3, ...(pick === undefined ? {} : { pick }) },
    { id: 'shade' },
    { id: 'tint' },
  ]);

describe('buildPlan with pick:', () => {
  it('without a pick, the passes after a fan-out run once per variant', () => {
    expect(ids(buildPlan(chain()))).toEqual([
      'bag#1',
      'bag#2',
      'bag#3',
      'shade#1',
      'shade#2',
      'shade#3',
      'tint#1',
      'tint#2',
      'tint#3',
    ]);
  });

  it('pick: 2 keeps every variant of the pass and feeds only variant 2 downstream', () => {
    const plan = buildPlan(chain(2));
    expect(ids(plan)).toEqual(['bag#1', 'bag#2', 'bag#3', 'shade#2', 'tint#2']);
    expect(plan.edges).toEqual([
      ['bag#2', 'shade#2'],
      ['shade#2', 'tint#2'],
    ]);
    expect(plan.nodes.filter((n) => n.picked === true).map((n) => n.id)).toEqual(['bag#2']);
  });

  it('a downstream node is the same node (id, seed, input, output name) with or without the pick', () => {
    const all = buildPlan(chain());
    for (const k of [1, 2, 3]) {
      const picked = buildPlan(chain(k));
      for (const id of [`shade#${k}`, `tint#${k}`])
        expect(picked.nodes.find((n) => n.id === id)).toEqual(all.nodes.find((n) => n.id === id));
    }
  });

  it('pick: applies per instance of a glob', () => {
    const plan = buildPlan(
      recipe({ shots: ['a', 'b'] }, [
        { id: 'bag', variants: 2, pick: 2 },
        { id: 'shade', save: '/proj/final/{source}-{variant}.{ext}' },
      ]),
    );
    expect(ids(plan)).toEqual(['bag@a#1', 'bag@a#2', 'bag@b#1', 'bag@b#2', 'shade@a#2', 'shade@b#2']);
    expect(plan.nodes.find((n) => n.id === 'shade@b#2')).toMatchObject({
      input: { kind: 'node', id: 'bag@b#2' },
      save: '/proj/final/b-2.{ext}',
    });
  });

  it('from: bag#3 takes one variant while another pass still fans out over all of them', () => {
    const plan = buildPlan(
      recipe({ photo: 'photo.jpg' }, [
        { id: 'bag', variants: 3, seed: 10 },
        { id: 'shade', from: 'bag', fromVariant: 3 },
        { id: 'tint', from: 'bag' },
      ]),
    );
    expect(ids(plan)).toEqual(['bag#1', 'bag#2', 'bag#3', 'shade#3', 'tint#1', 'tint#2', 'tint#3']);
    expect(plan.nodes.find((n) => n.id === 'shade#3')?.input).toEqual({ kind: 'node', id: 'bag#3' });
    expect(plan.nodes.map((n) => n.seed)).toEqual([10, 11, 12, null, null, null, null]);
  });

  it('an explicit from: <pass>#k wins over the pass pick', () => {
    const plan = buildPlan(
      recipe({ photo: 'photo.jpg' }, [
        { id: 'bag', variants: 3, pick: 1 },
        { id: 'shade', from: 'bag', fromVariant: 2 },
        { id: 'tint', from: 'bag' },
      ]),
    );
    expect(ids(plan)).toEqual(['bag#1', 'bag#2', 'bag#3', 'shade#2', 'tint#1']);
  });

  it('a pick out of range is our bug after validation: E_INTERNAL', () => {
    expect(() => buildPlan(chain(4))).toThrow(/takes variant 4/);
  });
});

describe('plan output shows the pick', () => {
  const plan = buildPlan(chain(2));

  it('text: the picked variant on the pass, one variant below it', () => {
    const text = renderPlanText(plan);
    expect(text).toContain('bag #1..#3 (pick #2)');
    expect(text).toMatch(/shade #2 {2}/);
    expect(text).toMatch(/tint #2 {2}/);
    expect(text).toContain('5 nodes');
  });

  it('JSON: picked is true on the chosen node only, and the output parses with the schema', () => {
    const json = planToJson(plan);
    expect(planJsonSchema.parse(json)).toEqual(json);
    expect(json.nodes.map((n) => [n.id, n.picked])).toEqual([
      ['bag#1', false],
      ['bag#2', true],
      ['bag#3', false],
      ['shade#2', false],
      ['tint#2', false],
    ]);
  });

  it('Mermaid: the picked node is labelled, and the edge starts at it', () => {
    const mmd = renderPlanMermaid(plan);
    expect(mmd).toContain('n_bag_v2["bag#35;2 ✓ picked<br/>');
    expect(mmd).toContain('n_bag_v2 --> n_shade_v2');
    expect(mmd).not.toContain('n_bag_v1 -->');
  });
});
