/** Rules on single values: seed and variants ranges, the model id form, aspect ratios. */
import type { Problem } from '../../errors.js';
import { closest } from '../../util/did-you-mean.js';
import { nearestRatio } from '../../models/aspect-ratios.js';
import { MODEL_TABLE } from '../../models/registry.js';
import { passModel, passProvider, setting, type DraftSettings } from '../draft.js';
import { DEFAULT_MODEL, MODEL_ID_PATTERN, aspectRatiosFor } from '../models.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule, RuleContext } from './context.js';

const SEED_MAX = 4294967295;
const VARIANTS_MAX = 64;

/** Every place a pass setting is written: `defaults:` and each pass. */
function written(ctx: RuleContext): { readonly at: DocPath; readonly s: DraftSettings }[] {
  return [
    { at: ['defaults'], s: ctx.draft.defaults },
    ...ctx.draft.passes.map((p) => ({ at: ['passes', p.index], s: p })),
  ];
}

const intIn = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;

export const seedRange: Rule = (ctx) =>
  written(ctx).flatMap(({ at, s }) =>
    s.seed === undefined || intIn(s.seed, 0, SEED_MAX)
      ? []
      : [
          ctx.report({
            code: 'seed-range',
            path: [...at, 'seed'],
            message: `seed must be an integer in 0..${SEED_MAX}, got ${s.seed}`,
          }),
        ],
  );

export const variantsRange: Rule = (ctx) =>
  written(ctx).flatMap(({ at, s }) =>
    s.variants === undefined || intIn(s.variants, 1, VARIANTS_MAX)
      ? []
      : [
          ctx.report({
            code: 'variants-range',
            path: [...at, 'variants'],
            message: `variants must be an integer in 1..${VARIANTS_MAX}, got ${s.variants}`,
          }),
        ],
  );

export const modelForm: Rule = (ctx) => {
  const models: { at: DocPath; model: string | undefined }[] = [
    { at: ['model'], model: ctx.draft.model },
    ...written(ctx).map(({ at, s }) => ({ at: [...at, 'model'], model: s.model })),
  ];
  const names = new Set(MODEL_TABLE.flatMap((m) => [m.id, ...m.aliases, m.endpoint]));
  return models.flatMap(({ at, model }) =>
    model === undefined || MODEL_ID_PATTERN.test(model) || names.has(model)
      ? []
      : [
          ctx.report({
            code: 'model-format',
            path: at,
            message: `model "${model}" is not of the form owner/name/... nor a known alias`,
            hint: `${didYouMeanModel(model, names)}e.g. ${DEFAULT_MODEL} or flux-kontext-pro`,
          }),
        ],
  );
};

function didYouMeanModel(model: string, names: ReadonlySet<string>): string {
  const near = closest(model, names);
  return near === undefined ? '' : `did you mean "${near}"? `;
}

/** `4x3`, `4/3`, `4 : 3` → `4:3` when that is in the list; else the nearest by value and orientation. */
export function suggestRatio(value: string, allowed: readonly string[]): string | undefined {
  const normal = value.replace(/\s+/g, '').replace(/[x×/_-]/i, ':');
  if (allowed.includes(normal)) return normal;
  return nearestRatio(value, allowed) ?? closest(value, allowed);
}

export const aspectRatio: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    const ratio = setting(ctx.draft, pass, 'aspect_ratio');
    if (!ratio) continue;
    const model = passModel(ctx.draft, pass);
    const provider = passProvider(ctx.draft, pass) ?? 'runcomfy';
    const allowed = aspectRatiosFor(model, provider);
    if (allowed.includes(ratio.value)) continue;
    const suggestion = suggestRatio(ratio.value, allowed);
    const hint = `${suggestion ? `did you mean "${suggestion}"? ` : ''}supported: ${allowed.join(', ')}`;
    out.push(
      ctx.report({
        code: 'aspect-ratio',
        path: ratio.path,
        message: `aspect ratio "${ratio.value}" is not supported by ${model} on ${provider}`,
        hint,
      }),
    );
  }
  return out;
};
