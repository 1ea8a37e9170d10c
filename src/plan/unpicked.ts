/**
 * The recipe as if nothing were picked: no `pick:`, no `from: <pass>#<k>`. Its plan holds every
 * branch below every variant, which is what `kontext clean` keeps, so picking another variant
 * later still finds its lock entries and outputs (picking never pays twice).
 */
import type { Pass, Recipe } from '../recipe/types.js';

export function withoutPicks(recipe: Recipe): Recipe {
  if (!recipe.passes.some((p) => p.pick !== undefined || (p.from.kind === 'pass' && p.from.variant !== undefined)))
    return recipe;
  return { ...recipe, passes: recipe.passes.map(unpicked) };
}

function unpicked(pass: Pass): Pass {
  const { pick: _pick, ...rest } = pass;
  return pass.from.kind === 'pass' ? { ...rest, from: { kind: 'pass', id: pass.from.id } } : rest;
}
