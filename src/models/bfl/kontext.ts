/**
 * Black Forest Labs' own API: `POST /v1/flux-kontext-pro` and `/v1/flux-kontext-max` take the
 * same body (`FluxKontextProInputs`, from BFL's OpenAPI). The result is polled at the
 * `polling_url` the submit returns; `result.sample` is the output URL (valid ~10 minutes) and
 * `result.seed` the seed used, even a random one.
 */
import { z } from 'zod';
import { WIDE_RATIOS } from '../aspect-ratios.js';
import { at, seedAt } from '../read-result.js';
import type { ModelEntry, OutputFormat } from '../types.js';

/** BFL publishes no input size limit; this keeps a request body reasonable (unconfirmed). */
const INLINE_MAX_BYTES = 10 * 1024 * 1024;

const params = z.strictObject({
  output_format: z.enum(['jpeg', 'png', 'webp']).default('png').describe('Output image format (default png).'),
  prompt_upsampling: z.boolean().default(false).describe('Let BFL rewrite the prompt with an LLM (default false).'),
  safety_tolerance: z
    .number()
    .int()
    .min(0)
    .max(6)
    .default(2)
    .describe('Moderation tolerance, 0 (strictest) .. 6 (most permissive); default 2.'),
});

const PRICES = { pro: 0.04, max: 0.08 } as const;

export function bflKontext(variant: 'pro' | 'max'): ModelEntry {
  return {
    provider: 'bfl',
    id: `blackforestlabs/flux-1-kontext/${variant}/edit`,
    aliases: [`flux-kontext-${variant}`],
    title: `FLUX.1 Kontext [${variant}] on Black Forest Labs`,
    endpoint: `/v1/flux-kontext-${variant}`,
    fields: { prompt: 'prompt', seed: 'seed', aspectRatio: 'aspect_ratio' },
    image: {
      field: 'input_image',
      accepts: ['url', 'raw-base64'],
      inlineMaxBytes: INLINE_MAX_BYTES,
      mediaTypes: null,
      note: 'a URL BFL fetches itself, or raw base64 without a data: prefix (a prefix is unconfirmed)',
    },
    aspectRatios: WIDE_RATIOS,
    params,
    returnsSeed: true,
    readResult: (result) => {
      const sample = at(result, ['result', 'sample']);
      const seed = seedAt(result, ['result', 'seed']);
      return { outputUrls: typeof sample === 'string' ? [sample] : [], ...(seed === undefined ? {} : { seed }) };
    },
    outputFormat: (p) => (p['output_format'] as OutputFormat | undefined) ?? 'png',
    priceUsd: PRICES[variant],
    unconfirmed: ['input size limit', 'data: prefix on input_image', 'ratios beyond "between 21:9 and 9:21"'],
  };
}
