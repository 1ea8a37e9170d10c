/**
 * Replicate's `flux-kontext-pro` / `-max` input as the emulator checks it, and its 422 body
 * (`{title: "Input validation failed", detail, status, invalid_fields}`). The aspect-ratio list
 * comes from a schema mirror, not Replicate itself (docs/architecture.md#the-emulator).
 */
import { z } from 'zod';
import { SEED_MAX } from '../model-info.js';

const REPLICATE_RATIOS = [
  'match_input_image',
  '1:1',
  '16:9',
  '9:16',
  '4:3',
  '3:4',
  '3:2',
  '2:3',
  '4:5',
  '5:4',
  '21:9',
  '9:21',
  '2:1',
  '1:2',
] as const;

const Input = z
  .looseObject({
    prompt: z.string().trim().min(1),
    input_image: z.string().regex(/^(https?:\/\/|data:)/i, "Does not match format 'uri'"),
    aspect_ratio: z.enum(REPLICATE_RATIOS).optional(),
    seed: z.number().int().min(0).max(SEED_MAX).optional(),
    output_format: z.enum(['jpg', 'png']).optional(),
    safety_tolerance: z.number().int().min(0).max(6).optional(),
    prompt_upsampling: z.boolean().optional(),
  })
  // "2 is currently the maximum allowed when input images are used" (Replicate's schema text).
  .refine((i) => (i.safety_tolerance ?? 2) <= 2, {
    path: ['safety_tolerance'],
    message: 'must be less than or equal to 2 when an input image is given',
  });

export const ReplicateCreateBody = z.looseObject({ input: Input });
export type ReplicateCreateBody = z.infer<typeof ReplicateCreateBody>;

/** The 422 body Replicate sends for a bad input. */
export function validationBody(error: z.ZodError): Record<string, unknown> {
  const invalid = error.issues.map((i) => ({
    type: i.code,
    field: i.path.join('.') || 'body',
    description: i.message,
  }));
  return {
    title: 'Input validation failed',
    detail: invalid.map((f) => `- ${f.field}: ${f.description}\n`).join(''),
    status: 422,
    invalid_fields: invalid,
  };
}
