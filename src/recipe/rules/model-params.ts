/**
 * A pass's model must run on its provider, and its `params` must be ones that model takes:
 * unknown keys are refused with a did-you-mean (pointing at the key), bad values with the
 * model file's reason (pointing at the value). Catalog models on RunComfy are not checked.
 */
import type { Problem } from '../../errors.js';
import { checkParams } from '../../models/params.js';
import {
  MODEL_ID_PATTERN,
  MODEL_TABLE,
  lookupModel,
  modelNamesOf,
  modelsOf,
  providerRuns,
} from '../../models/registry.js';
import { closest } from '../../util/did-you-mean.js';
import { passModel, passProvider, setting, type DraftPass } from '../draft.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';
import { RESERVED_PARAMS } from './params.js';

/** Where the pass's model was written: the pass, `defaults:`, or the recipe's `model:`. */
function modelPath(ctx: RuleContext, pass: DraftPass): DocPath {
  return setting(ctx.draft, pass, 'model')?.path ?? ['model'];
}

/** Names any provider knows a model by: a name that is none of these nor an id is modelForm's to report. */
const ALL_NAMES = new Set(MODEL_TABLE.flatMap((m) => [m.id, ...m.aliases, m.endpoint]));

export const modelOnProvider: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    const provider = passProvider(ctx.draft, pass);
    const model = passModel(ctx.draft, pass);
    if (provider === undefined || providerRuns(provider, model)) continue;
    if (!MODEL_ID_PATTERN.test(model) && !ALL_NAMES.has(model)) continue;
    const near = closest(model, modelNamesOf(provider));
    const offered = modelsOf(provider).map((m) => `${m.aliases[0] ?? m.id} (${m.id})`);
    out.push(
      ctx.report({
        code: 'model-provider',
        path: modelPath(ctx, pass),
        message: `model "${model}" is not available on ${provider}${pass.id ? ` (pass ${pass.id})` : ''}`,
        hint: `${near ? `did you mean "${near}"? ` : ''}${provider} offers: ${offered.join(', ')}`,
      }),
    );
  }
  return out;
};

export const paramsForModel: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    const provider = passProvider(ctx.draft, pass);
    const entry = provider && lookupModel(provider, passModel(ctx.draft, pass));
    if (!entry) continue;
    const merged = { ...ctx.draft.defaults.params, ...pass.params };
    // Reserved keys have their own rule (params.ts) and message.
    for (const key of Object.keys(merged)) if (Object.hasOwn(RESERVED_PARAMS, key)) delete merged[key];
    for (const issue of checkParams(entry, merged, provider)) {
      const owner: DocPath =
        pass.params && Object.hasOwn(pass.params, issue.key)
          ? ['passes', pass.index, 'params']
          : ['defaults', 'params'];
      out.push(
        ctx.report({
          code: issue.unknownKey ? 'params-unknown' : 'params-value',
          path: [...owner, issue.key],
          ...(issue.unknownKey ? { label: owner, key: true } : {}),
          message: issue.reason,
          hint: issue.hint,
        }),
      );
    }
  }
  return out;
};
