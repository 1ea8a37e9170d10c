/**
 * fal.ai's `FluxKontextInput` as the emulator checks it (loose: unknown fields pass). The
 * emulator renders one image, so `num_images` above 1 is refused here (fal itself allows 4).
 * `image_url` may be an http(s) URL or a `data:` URI: fal says some models accept data URIs,
 * unconfirmed for Kontext (docs/architecture.md#the-emulator).
 */
import { z } from 'zod';
import { ASPECT_RATIOS, SEED_MAX } from '../model-info.js';

export const FalSubmitBody = z.looseObject({
  prompt: z.string().trim().min(1),
  image_url: z.string().regex(/^(https?:\/\/|data:)/i, 'must be an http(s) URL or a data: URI'),
  seed: z.number().int().min(0).max(SEED_MAX).optional(),
  guidance_scale: z.number().min(1).max(20).optional(),
  num_images: z.literal(1).optional(),
  output_format: z.enum(['jpeg', 'png']).optional(),
  safety_tolerance: z.enum(['1', '2', '3', '4', '5', '6']).optional(),
  aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
  enhance_prompt: z.boolean().optional(),
  sync_mode: z.boolean().optional(),
});
export type FalSubmitBody = z.infer<typeof FalSubmitBody>;
