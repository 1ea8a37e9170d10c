/**
 * The emulated model: Flux Kontext edit's input schema (zod, the source of truth for both the
 * 422 validation and the JSON Schema served by `GET /v1/models/{id}`).
 */
import { z } from 'zod';

/** The common Kontext list (RunComfy has not confirmed the real one: docs/architecture.md#the-runcomfy-api). */
export const ASPECT_RATIOS = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

export const SEED_MAX = 4294967295;

const fields = {
  prompt: z.string().trim().min(1).describe('The edit instruction'),
  image_url: z.string().min(1).describe('Input image: a fetchable http(s) URL or a data: URI'),
  seed: z.number().int().min(0).max(SEED_MAX).optional().describe('Random seed; drawn by the service when omitted'),
  aspect_ratio: z.enum(ASPECT_RATIOS).optional().describe("Output aspect ratio; omitted keeps the input's ratio"),
};

/** The submit body. Loose like the real service: unknown extra fields are passed through, not rejected. */
export const SubmitBody = z.looseObject(fields);
export type SubmitBody = z.infer<typeof SubmitBody>;

/** JSON Schema of the model input, as `GET /v1/models/{id}` reports it. */
function inputJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(z.object(fields), { io: 'input' }) as Record<string, unknown>;
}

/** Reply body of `GET /v1/models/{model_id}` (without `base_price_usd` when `priceUsd` is `null`). */
export function modelInfoBody(modelId: string, priceUsd: number | null): Record<string, unknown> {
  return {
    model_id: modelId,
    name: `${modelId} (emulated)`,
    ...(priceUsd === null ? {} : { base_price_usd: priceUsd }),
    input_schema: inputJsonSchema(),
  };
}

/** Turn zod issues into one readable line for a 422 `error_message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`).join('; ');
}

/** `"16:9"` → `[16, 9]`. */
export function ratioOf(ar: AspectRatio): [number, number] {
  const [w, h] = ar.split(':').map(Number);
  return [w ?? 1, h ?? 1];
}
