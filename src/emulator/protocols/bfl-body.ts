/**
 * The BFL Kontext submit body (`FluxKontextProInputs`) as the emulator checks it. Loose like a
 * FastAPI model: unknown fields pass. Where BFL has not confirmed a rule, the emulator is strict
 * so a client bug shows: `input_image` must be raw base64 or an http(s) URL (a `data:` prefix is
 * unconfirmed, docs/architecture.md#the-emulator).
 */
import { z } from 'zod';
import { type AspectRatio, SEED_MAX } from '../model-info.js';

/** "Aspect ratio of the image between 21:9 and 9:21" (BFL's OpenAPI): any `W:H` in that range. */
const bflRatio = z
  .string()
  .regex(/^[1-9]\d{0,2}:[1-9]\d{0,2}$/, 'must be W:H')
  .refine((r) => {
    const [w, h] = r.split(':').map(Number);
    const v = (w ?? 1) / (h ?? 1);
    return v <= 21 / 9 + 1e-9 && v >= 9 / 21 - 1e-9;
  }, 'must be between 21:9 and 9:21')
  .transform((r) => r as AspectRatio);

const image = z.string().min(1).nullish();

export const BflSubmitBody = z.looseObject({
  prompt: z.string().trim().min(1),
  input_image: image,
  input_image_2: image,
  input_image_3: image,
  input_image_4: image,
  seed: z.number().int().min(0).max(SEED_MAX).nullish(),
  aspect_ratio: bflRatio.nullish(),
  output_format: z.enum(['jpeg', 'png', 'webp']).nullish(),
  webhook_url: z.string().min(1).max(2083).nullish(),
  webhook_secret: z.string().nullish(),
  prompt_upsampling: z.boolean().optional(),
  safety_tolerance: z.number().int().min(0).max(6).optional(),
});
export type BflSubmitBody = z.infer<typeof BflSubmitBody>;

/** FastAPI's 422 `detail` list for a failed parse. */
export function fastApiIssues(error: z.ZodError): { loc: (string | number)[]; msg: string; type: string }[] {
  return error.issues.map((i) => ({
    loc: ['body', ...i.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    msg: i.message,
    type: i.code,
  }));
}

/**
 * What the job fetches: an http(s) URL as is, raw base64 as a data URI; `undefined` for a
 * `data:` URI or text that is not base64 (refused with a 422).
 */
export function inputImageUrl(value: string): string | undefined {
  if (/^https?:\/\//i.test(value)) return value;
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  return `data:application/octet-stream;base64,${compact}`;
}
