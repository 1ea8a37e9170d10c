/**
 * The recipe schema's model-facing fields, built from the model table (src/models/): the
 * provider names, model ids and aliases, the aspect ratios and the params every model knows,
 * so the generated JSON Schema lets editors complete them. The per-model checks (which params
 * and ratios a pass's own model takes) are rules: recipe/rules/model-params.ts and values.ts.
 */
import { z } from 'zod';
import { MODEL_ID_PATTERN, MODEL_TABLE } from '../models/registry.js';
import { PROVIDER_NAMES } from '../models/types.js';

export const providerField = z
  .enum(PROVIDER_NAMES)
  .describe(
    'Where passes run: runcomfy (RunComfy Model API, RUNCOMFY_TOKEN), bfl (Black Forest Labs, BFL_API_KEY), ' +
      'fal (fal.ai, FAL_KEY), replicate (Replicate, REPLICATE_API_TOKEN) or emulator (built-in, no account).',
  );

const TABLE_NAMES = [...new Set(MODEL_TABLE.flatMap((m) => [m.id, ...m.aliases, m.endpoint]))] as [string, ...string[]];

export const modelField = z
  .union([z.enum(TABLE_NAMES), z.string().regex(MODEL_ID_PATTERN)])
  .describe(
    'Model: our id (blackforestlabs/flux-1-kontext/pro/edit, .../max/edit), a short alias ' +
      '(flux-kontext-pro, flux-kontext-max), the provider’s own endpoint id, ' +
      'or on RunComfy any catalog id owner/name/...',
  );

/** Every ratio some model accepts, widest landscape first. */
const ALL_RATIOS = [...new Set(MODEL_TABLE.flatMap((m) => m.aspectRatios))].sort((a, b) => ratio(b) - ratio(a)) as [
  string,
  ...string[],
];

function ratio(r: string): number {
  const [w, h] = r.split(':').map(Number);
  return (w ?? 1) / (h ?? 1);
}

export const aspectRatioField = z
  .enum(ALL_RATIOS)
  .describe(
    'Output aspect ratio W:H. RunComfy and fal: 21:9, 16:9, 4:3, 3:2, 1:1, 2:3, 3:4, 9:16, 9:21; ' +
      "BFL and Replicate also 2:1, 5:4, 4:5, 1:2. Omit it to keep the input's ratio.",
  );

type Schema = z.core.$ZodType;

const unwrap = (s: Schema): Schema =>
  s instanceof z.ZodDefault || s instanceof z.ZodOptional ? unwrap(s.unwrap() as Schema) : s;

/** Each param key any model knows: the union of its (distinct) schemas, described per provider. */
function knownParams(): Record<string, z.ZodType> {
  const byKey = new Map<string, { schemas: Map<string, z.ZodType>; notes: Set<string> }>();
  for (const m of MODEL_TABLE) {
    for (const [key, s] of Object.entries(m.params.shape as Record<string, z.ZodType>)) {
      const slot = byKey.get(key) ?? { schemas: new Map(), notes: new Set() };
      const inner = unwrap(s) as z.ZodType;
      slot.schemas.set(JSON.stringify(z.toJSONSchema(inner)), inner);
      slot.notes.add(`${m.provider}: ${s.description ?? ''}`);
      byKey.set(key, slot);
    }
  }
  const out: Record<string, z.ZodType> = {};
  for (const [key, { schemas, notes }] of byKey) {
    const [first, ...rest] = [...schemas.values()];
    if (!first) continue;
    const one = rest.length === 0 ? first : z.union([first, ...rest]);
    out[key] = one.optional().describe([...notes].join(' '));
  }
  return out;
}

export const paramsField = z
  .looseObject(knownParams())
  .describe(
    "Extra inputs of the pass's model, checked against it (unknown keys are refused); " +
      'prompt, image, seed and aspect_ratio have their own fields. See `kontext providers`.',
  );
