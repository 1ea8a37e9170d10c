/** Node patterns for --only/--force/--reseed: parts, globs, comma lists, 'all', suggestions. */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/index.js';
import { resolveSelections } from '../../../src/run/selection.js';
import { makeRecipe } from '../plan/factory.js';

// clean@{product-a,product-b,x} → lifestyle, and bag (2 variants) from clean.
const plan = buildPlan(
  makeRecipe({ product: ['product-a', 'product-b', 'x'] }, [
    { id: 'clean' },
    { id: 'lifestyle' },
    { id: 'bag', from: 'clean', variants: 2 },
  ]),
);
const force = (...patterns: string[]): readonly string[] | undefined =>
  resolveSelections(plan, { force: patterns }).force;

describe('node patterns', () => {
  it('match by pass, instance and variant, each part a glob; a part left out matches anything', () => {
    expect(force('lifestyle')).toEqual(['lifestyle@product-a', 'lifestyle@product-b', 'lifestyle@x']);
    expect(force('bag#2')).toEqual(['bag@product-a#2', 'bag@product-b#2', 'bag@x#2']);
    expect(force('lifestyle@product-*')).toEqual(['lifestyle@product-a', 'lifestyle@product-b']);
    expect(force('*@x')).toEqual(['clean@x', 'lifestyle@x', 'bag@x#1', 'bag@x#2']);
    expect(force('b*@product-b#1', 'clean@x')).toEqual(['bag@product-b#1', 'clean@x']);
    expect(force('lifestyle@x,bag@x#1')).toEqual(['lifestyle@x', 'bag@x#1']);
    expect(force('*')).toHaveLength(12);
  });

  it('--only keeps the upstream; a bare --force/--reseed means the --only targets, never their upstream', () => {
    const s = resolveSelections(plan, { only: ['bag@x#1'], force: 'all', reseed: ['*'] });
    expect(s.nodes.map((n) => n.id)).toEqual(['clean@x', 'bag@x#1']);
    expect(s.force).toEqual(['bag@x#1']);
    expect(s.reseed).toHaveLength(12);
    expect(resolveSelections(plan, { force: 'all' }).force).toHaveLength(12);
    expect(resolveSelections(plan, {}).force).toBeUndefined();
  });

  it('a pattern that matches nothing is a usage error with a suggestion for the misspelled part', () => {
    const err = (p: string): unknown => {
      try {
        force(p);
      } catch (e) {
        return e;
      }
      return null;
    };
    expect(err('lifestyel')).toMatchObject({ exitCode: 64, hint: expect.stringContaining('"lifestyle"') });
    expect(err('bga#2')).toMatchObject({ hint: expect.stringContaining('did you mean "bag#2"?') });
    expect(err('clean@prodct-a')).toMatchObject({ hint: expect.stringContaining('did you mean "clean@product-a"?') });
    expect(err('bag#3')).toMatchObject({ exitCode: 64 });
    expect(err('a,,b')).toMatchObject({ exitCode: 64, message: '--force: an empty pattern' });
  });
});
