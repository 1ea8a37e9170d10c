import { describe, expect, it } from 'vitest';
import { buildPlan, legacyOutputPathFor, outputPathFor } from '../../../src/plan/index.js';
import type { Plan } from '../../../src/plan/index.js';
import { KontextError } from '../../../src/errors.js';
import { designExample, makeRecipe, DIR } from './factory.js';

const ids = (plan: Plan): string[] => plan.nodes.map((n) => n.id);
const node = (plan: Plan, id: string) => {
  const found = plan.nodes.find((n) => n.id === id);
  if (found === undefined) throw new Error(`no node ${id}`);
  return found;
};

describe('buildPlan: the example of docs/architecture.md#the-recipe', () => {
  const plan = buildPlan(designExample());

  it('has exactly the expected ids, edges and depths', () => {
    expect(ids(plan)).toEqual([
      'background',
      'jacket',
      'umbrella',
      'umbrella-blue#1',
      'umbrella-blue#2',
      'umbrella-blue#3',
    ]);
    expect(plan.edges).toEqual([
      ['background', 'jacket'],
      ['jacket', 'umbrella'],
      ['jacket', 'umbrella-blue#1'],
      ['jacket', 'umbrella-blue#2'],
      ['jacket', 'umbrella-blue#3'],
    ]);
    expect(plan.nodes.map((n) => n.depth)).toEqual([1, 2, 3, 3, 3, 3]);
    expect(plan.criticalPathDepth).toBe(3);
  });

  it('reads the source at the root and the matching node downstream', () => {
    expect(node(plan, 'background').input).toEqual({
      kind: 'source',
      source: 'portrait',
      instance: null,
      path: `${DIR}/assets/portrait.jpg`,
    });
    expect(node(plan, 'umbrella-blue#2').input).toEqual({ kind: 'node', id: 'jacket' });
    expect(node(plan, 'umbrella-blue#2')).toMatchObject({ variant: 2, source: 'portrait', instance: null });
  });

  it('fills save placeholders and leaves {ext}', () => {
    expect(node(plan, 'umbrella').save).toBe('/proj/final/portrait.{ext}');
    expect(node(plan, 'jacket').save).toBeNull();
  });

  it('carries the recipe header', () => {
    expect(plan.recipe).toEqual({
      name: 'test',
      file: `${DIR}/test.yml`,
      provider: 'emulator',
      outDir: '/proj/out/test',
    });
  });
});

describe('buildPlan: glob × variants × downstream inheritance', () => {
  const plan = buildPlan(
    makeRecipe({ shoes: ['shoe-01', 'shoe-02'] }, [
      { id: 'clean', seed: 7 },
      { id: 'recolor', variants: 2, seed: 100 },
      { id: 'umbrella', seed: 5, save: '/proj/final/{source}-{pass}-{variant}.{ext}' },
    ]),
  );

  it('fans out per instance, then per variant, and downstream inherits #k', () => {
    expect(ids(plan)).toEqual([
      'clean@shoe-01',
      'clean@shoe-02',
      'recolor@shoe-01#1',
      'recolor@shoe-01#2',
      'recolor@shoe-02#1',
      'recolor@shoe-02#2',
      'umbrella@shoe-01#1',
      'umbrella@shoe-01#2',
      'umbrella@shoe-02#1',
      'umbrella@shoe-02#2',
    ]);
    expect(node(plan, 'umbrella@shoe-01#2')).toMatchObject({
      pass: 'umbrella',
      source: 'shoes',
      instance: 'shoe-01',
      variant: 2,
      depth: 3,
      input: { kind: 'node', id: 'recolor@shoe-01#2' },
    });
    expect(node(plan, 'recolor@shoe-02#1').input).toEqual({ kind: 'node', id: 'clean@shoe-02' });
    expect(plan.edges).toHaveLength(8);
  });

  it('offsets seeds only where the variants start', () => {
    expect(node(plan, 'clean@shoe-01').seed).toBe(7);
    expect(node(plan, 'recolor@shoe-01#1').seed).toBe(100);
    expect(node(plan, 'recolor@shoe-01#2').seed).toBe(101);
    expect(node(plan, 'umbrella@shoe-02#2').seed).toBe(5);
  });

  it('uses the instance as {source} and k as {variant}', () => {
    expect(node(plan, 'umbrella@shoe-02#2').save).toBe('/proj/final/shoe-02-umbrella-2.{ext}');
  });
});

describe('buildPlan: seeds', () => {
  const cases: { name: string; seed?: number; variants: number; expected: (number | null)[] }[] = [
    { name: 'no seed, no variants', variants: 1, expected: [null] },
    { name: 'no seed, variants', variants: 3, expected: [null, null, null] },
    { name: 'fixed seed', seed: 42, variants: 1, expected: [42] },
    { name: 'variants offset', seed: 42, variants: 3, expected: [42, 43, 44] },
    { name: 'wraps at 2^32', seed: 4294967294, variants: 4, expected: [4294967294, 4294967295, 0, 1] },
    { name: 'zero seed', seed: 0, variants: 2, expected: [0, 1] },
  ];
  it.each(cases)('$name', ({ seed, variants, expected }) => {
    const spec = seed === undefined ? { id: 'p', variants } : { id: 'p', variants, seed };
    const plan = buildPlan(makeRecipe({ s: 'a.jpg' }, [spec]));
    expect(plan.nodes.map((n) => n.seed)).toEqual(expected);
  });
});

describe('buildPlan: structure', () => {
  it('places a pass after a later-declared parent (stable otherwise)', () => {
    const plan = buildPlan(
      makeRecipe({ s: 'a.jpg' }, [
        { id: 'x', from: 's' },
        { id: 'late-child', from: 'late-parent' },
        { id: 'late-parent', from: 'x' },
        { id: 'y', from: 's' },
      ]),
    );
    expect(ids(plan)).toEqual(['x', 'late-parent', 'late-child', 'y']);
    expect(node(plan, 'late-child').depth).toBe(3);
  });

  it('keeps multiple sources apart and reads URLs as URLs', () => {
    const plan = buildPlan(
      makeRecipe({ a: 'a.jpg', logo: 'https://example.com/logo.png' }, [
        { id: 'one', from: 'a' },
        { id: 'two', from: 'logo' },
      ]),
    );
    expect(node(plan, 'two').input).toEqual({
      kind: 'source',
      source: 'logo',
      instance: null,
      url: 'https://example.com/logo.png',
    });
    expect(plan.edges).toEqual([]);
    expect(plan.criticalPathDepth).toBe(1);
  });

  it('passes aspect ratio, model and params through', () => {
    const plan = buildPlan(makeRecipe({ s: 'a.jpg' }, [{ id: 'p', aspectRatio: '3:4', params: { guidance: 3 } }]));
    expect(plan.nodes[0]).toMatchObject({
      aspectRatio: '3:4',
      params: { guidance: 3 },
      model: 'blackforestlabs/flux-1-kontext/pro/edit',
    });
  });

  const topoCases = [
    { name: 'design example', recipe: designExample() },
    {
      name: 'glob branches',
      recipe: makeRecipe({ g: ['a', 'b', 'c'] }, [
        { id: 'p1' },
        { id: 'p2', variants: 2 },
        { id: 'p3', from: 'p1', variants: 3 },
        { id: 'p4', from: 'p2' },
        { id: 'p5', from: 'p4' },
      ]),
    },
    {
      name: 'forward reference',
      recipe: makeRecipe({ s: 'a.jpg' }, [
        { id: 'b', from: 'a' },
        { id: 'a', from: 's' },
      ]),
    },
  ];
  it.each(topoCases)('topological order: $name', ({ recipe }) => {
    const plan = buildPlan(recipe);
    const position = new Map(plan.nodes.map((n, i) => [n.id, i]));
    expect(position.size).toBe(plan.nodes.length);
    for (const [from, to] of plan.edges) expect(position.get(from)).toBeLessThan(position.get(to) ?? -1);
    for (const n of plan.nodes) {
      if (n.input.kind === 'node') expect(n.depth).toBe((plan.nodes[position.get(n.input.id) ?? -1]?.depth ?? 0) + 1);
      else expect(n.depth).toBe(1);
    }
  });
});

describe('buildPlan: recipes validation should have refused', () => {
  const cases = [
    {
      name: 'nested variants',
      recipe: makeRecipe({ s: 'a.jpg' }, [
        { id: 'a', variants: 2 },
        { id: 'b', variants: 2 },
      ]),
      text: /nested variants/,
    },
    {
      name: 'cycle',
      recipe: makeRecipe({ s: 'a.jpg' }, [
        { id: 'a', from: 'b' },
        { id: 'b', from: 'a' },
      ]),
      text: /cycle/,
    },
    {
      name: 'unknown pass',
      recipe: makeRecipe({ s: 'a.jpg' }, [{ id: 'a', from: 'nope' }]),
      text: /unknown pass "nope"/,
    },
    { name: 'duplicate ids', recipe: makeRecipe({ s: 'a.jpg' }, [{ id: 'a' }, { id: 'a' }]), text: /duplicate/ },
  ];
  it.each(cases)('$name throws E_INTERNAL (exit 70)', ({ recipe, text }) => {
    let caught: unknown;
    try {
      buildPlan(recipe);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(KontextError);
    expect(caught).toMatchObject({ code: 'E_INTERNAL', exitCode: 70, message: expect.stringMatching(text) });
  });
});

describe('buildPlan: scale', () => {
  it('plans 1,000 glob instances × 10 passes as 10,000 nodes', () => {
    const stems = Array.from({ length: 1000 }, (_, i) => `img-${String(i).padStart(4, '0')}`);
    const passes = Array.from({ length: 10 }, (_, i) => ({ id: `p${i}` }));
    const plan = buildPlan(makeRecipe({ batch: stems }, passes));
    expect(plan.nodes).toHaveLength(10_000);
    expect(plan.edges).toHaveLength(9_000);
    expect(plan.criticalPathDepth).toBe(10);
    expect(new Set(ids(plan)).size).toBe(10_000);
    expect(node(plan, 'p9@img-0999').input).toEqual({ kind: 'node', id: 'p8@img-0999' });
  });
});

describe('outputPathFor', () => {
  const plan = buildPlan(designExample());
  const naming = (pass: string, instance: string | null, variant: number | null) => ({
    pass,
    source: 'photo',
    instance,
    variant,
  });
  it.each([
    {
      dir: plan as Plan | string,
      n: naming('umbrella-blue', null, 2),
      ext: 'png',
      expected: '/proj/out/test/umbrella-blue/photo-v2.png',
    },
    { dir: '/tmp/out', n: naming('p', 'shoe-01', 1), ext: '.jpg', expected: '/tmp/out/p/shoe-01-v1.jpg' },
    { dir: '/tmp/out', n: naming('p', 'shoe-01', null), ext: 'png', expected: '/tmp/out/p/shoe-01.png' },
  ])('$expected', ({ dir, n, ext, expected }) => {
    expect(outputPathFor(dir, n, ext)).toBe(expected);
    expect(expected).not.toMatch(/[#@ ]/);
  });
  it('keeps the old layout known for migration', () => {
    expect(legacyOutputPathFor('/tmp/out', 'p@shoe-01#1', 'jpg')).toBe('/tmp/out/p@shoe-01#1.jpg');
  });
  it('an explicit output (kontext edit) wins', () => {
    expect(outputPathFor('/tmp/out', { ...naming('edit', null, null), output: '/w/x-edited' }, 'png')).toBe(
      '/w/x-edited.png',
    );
  });
});
