/**
 * Replicate's official models `black-forest-labs/flux-kontext-pro` and `-max`
 * (`POST /v1/models/{endpoint}/predictions` with `{input: {...}}`). The output is one URL
 * string; the seed used is not returned, so send one to know it.
 */
import { z } from 'zod';
import { WIDE_RATIOS } from '../aspect-ratios.js';
import { at, collectUrls } from '../read-result.js';
import type { ModelEntry } from '../types.js';

/**
 * Replicate's JS client refuses inline data over 10 MB of data URI (about 7.5 MB of image);
 * its docs recommend data URIs only under 1 MB.
 */
const INLINE_MAX_BYTES = 7_000_000;

const params = z.strictObject({
  output_format: z.enum(['jpg', 'png']).default('png').describe('Output image format, jpg or png (default png).'),
  safety_tolerance: z
    .number()
    .int()
    .min(0)
    .max(2, { error: 'safety_tolerance on Replicate is at most 2 when an input image is given (always, for edits)' })
    .default(2)
    .describe('Moderation tolerance 0 (strictest) .. 2 (the maximum with an input image); default 2.'),
  prompt_upsampling: z.boolean().default(false).describe('Let the model rewrite the prompt (default false).'),
});

const PRICES = { pro: 0.04, max: 0.08 } as const;

export function replicateKontext(variant: 'pro' | 'max'): ModelEntry {
  return {
    provider: 'replicate',
    id: `blackforestlabs/flux-1-kontext/${variant}/edit`,
    aliases: [`flux-kontext-${variant}`],
    title: `FLUX.1 Kontext [${variant}] on Replicate`,
    endpoint: `black-forest-labs/flux-kontext-${variant}`,
    fields: { prompt: 'prompt', seed: 'seed', aspectRatio: 'aspect_ratio' },
    image: {
      field: 'input_image',
      accepts: ['url', 'data-uri'],
      inlineMaxBytes: INLINE_MAX_BYTES,
      // The model's input schema: "jpeg, png, gif or webp" (AVIF and HEIC are not).
      mediaTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
      note: 'an https URL or a data URI (recommended under 1 MB; the official client caps 10 MB)',
    },
    aspectRatios: WIDE_RATIOS,
    aspectRatioWhenOmitted: 'match_input_image',
    params,
    returnsSeed: false,
    readResult: (result) => ({ outputUrls: collectUrls(at(result, ['output'])) }),
    outputFormat: (p) => (p['output_format'] === 'jpg' ? 'jpeg' : 'png'),
    priceUsd: PRICES[variant],
    unconfirmed: ['the full aspect_ratio enum (from a schema mirror)', 'the price (an aggregator’s figure)'],
  };
}
