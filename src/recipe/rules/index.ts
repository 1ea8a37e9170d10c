/** The table of semantic rules, run in this order; each returns all the problems it finds. */
import type { Problem } from '../../errors.js';
import type { Rule, RuleContext } from './context.js';
import { firstPassInput, fromCycles, fromKnown } from './from.js';
import { passIds, recipeName, sourceNames } from './names.js';
import { modelOnProvider, paramsForModel } from './model-params.js';
import { reservedParams } from './params.js';
import { outputCollisions } from './output-collisions.js';
import { outputsInsideRoot } from './paths.js';
import { HIDDEN_CODES, hiddenText } from './hidden-text.js';
import { pathLengths } from './path-lengths.js';
import { planSize } from './plan-size.js';
import { saveCollisions, saveInSources, savePlaceholders } from './save.js';
import { saveFormat } from './save-format.js';
import { aspectRatio, modelForm, seedRange, variantsRange } from './values.js';
import { nestedVariants } from './variants.js';
import { fromVariant, pickRange } from './picks.js';
import { writeTargets } from './write-targets.js';
import { portableSeparators, windowsPathNames } from './windows-names.js';
import { sourceCaseTwins } from './source-case.js';

export type { Rule, RuleContext } from './context.js';

export const RULES: readonly Rule[] = [
  recipeName,
  sourceNames,
  passIds,
  fromKnown,
  firstPassInput,
  fromCycles,
  nestedVariants,
  fromVariant,
  pickRange,
  seedRange,
  variantsRange,
  modelForm,
  aspectRatio,
  savePlaceholders,
  saveFormat,
  saveCollisions,
  outputCollisions,
  planSize,
  saveInSources,
  hiddenText,
  pathLengths,
  windowsPathNames,
  portableSeparators,
  sourceCaseTwins,
  outputsInsideRoot,
  writeTargets,
  reservedParams,
  modelOnProvider,
  paramsForModel,
];

/**
 * Run every rule; the same finding reached twice (e.g. through `defaults:`) is kept once. A field
 * holding a hidden character (rules/hidden-text.ts) gets that finding only: another rule's would
 * quote the value, the character in it (`unknown pass "a\u200Bb"`, the character raw), or guess at what it meant.
 */
export function runRules(ctx: RuleContext, rules: readonly Rule[] = RULES): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const rule of rules) {
    for (const p of rule(ctx)) {
      const key = `${p.code}\u0000${JSON.stringify(p.path ?? [])}\u0000${p.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  }
  const hidden = new Set(out.filter((p) => HIDDEN_CODES.has(p.code)).map((p) => JSON.stringify(p.path ?? [])));
  return out.filter((p) => HIDDEN_CODES.has(p.code) || !hidden.has(JSON.stringify(p.path ?? [])));
}
