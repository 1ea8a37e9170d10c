import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/plan/index.js';
import { resolveSelections } from '../../../src/run/selection.js';
import { UsageError } from '../../../src/errors.js';
import { makeRecipe } from './factory.js';

const recipe = makeRecipe({ shots: ['a', 'b'] }, [{ id: 'bag', variants: 3 }, { id: 'shade' }]);
const picked = { ...recipe, passes: recipe.passes.map((p) => (p.id === 'bag' ? { ...p, pick: 2 } : p)) };
const plan = buildPlan(picked);
const reseed = (r: readonly string[] | 'all', only?: readonly string[]) =>
  resolveSelections(plan, { reseed: r, ...(only === undefined ? {} : { only }) }).reseed;

describe('--reseed and a picked variant', () => {
  it.each([[['bag']], [['bag@a']], [['bag#*']], [['*']], [['bag@*#*2']], ['all' as const]])(
    'refuses %j: it would re-draw the picked variant without naming it',
    (r) => {
      expect(() => reseed(r)).toThrow(UsageError);
      expect(() => reseed(r)).toThrow(/re-draw bag@a#2, the variant its pass picked \(pick: 2\)/);
    },
  );

  it('the hint lists the other variants of that instance', () => {
    const err = (() => {
      try {
        reseed(['bag']);
      } catch (e) {
        return e as UsageError;
      }
      return undefined;
    })();
    expect(err?.hint).toContain('--reseed bag@a#1,bag@a#3');
    expect(err?.exitCode).toBe(64);
  });

  it.each([
    [['bag#1,bag#3'], ['bag@a#1', 'bag@b#1', 'bag@a#3', 'bag@b#3']],
    [['bag#2'], ['bag@a#2', 'bag@b#2']],
    [['b*g@a#2'], ['bag@a#2']],
    [['shade'], ['shade@a#2', 'shade@b#2']],
  ])('allows %j: the picked variant is named by its number, or not touched', (r, ids) => {
    expect(reseed(r)).toEqual(ids);
  });

  it('a bare --reseed with --only downstream of the pick leaves the picked variant alone', () => {
    expect(reseed('all', ['shade'])).toEqual(['shade@a#2', 'shade@b#2']);
  });

  it('without a pick nothing changes: --reseed bag re-draws every variant', () => {
    const ids = resolveSelections(buildPlan(recipe), { reseed: ['bag'] }).reseed;
    expect(ids).toHaveLength(6);
  });
});
