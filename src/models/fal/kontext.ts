/**
 * fal.ai's queue: `fal-ai/flux-pro/kontext` (and `/max`). The body is `FluxKontextInput`
 * (from fal's official JS client types); the result holds `images[].url` and the `seed` used.
 * Status and result paths drop the subpath (`fal-ai/flux-pro/requests/{id}`): the client's
 * business, not the table's.
 */
import { z } from 'zod';
import { KONTEXT_RATIOS } from '../aspect-ratios.js';
import { at, seedAt } from '../read-result.js';
import type { ModelEntry, OutputFormat } from '../types.js';

/** fal documents no inline limit for Kontext; data URIs are "likely" accepted (unconfirmed). */
const INLINE_MAX_BYTES = 10 * 1024 * 1024;

const SAFETY = ['1', '2', '3', '4', '5', '6'] as const;

const params = z.strictObject({
  guidance_scale: z.number().min(1).max(20).default(3.5).describe('Guidance scale 1..20 (default 3.5).'),
  num_images: z
    .literal(1, { error: 'kontext saves one image per node: use `variants: N` for more images' })
    .default(1)
    .describe('Images per request; only 1 is supported (use `variants:` for more).'),
  output_format: z.enum(['jpeg', 'png']).default('jpeg').describe('Output image format (default jpeg).'),
  safety_tolerance: z
    .enum(SAFETY, { error: 'safety_tolerance on fal is a string "1".."6" (quote it: "2")' })
    .default('2')
    .describe('Moderation tolerance as a STRING "1" (strictest) .. "6" (most permissive); default "2".'),
  enhance_prompt: z.boolean().default(false).describe('Let fal rewrite the prompt (default false).'),
});

const ENDPOINTS = { pro: 'fal-ai/flux-pro/kontext', max: 'fal-ai/flux-pro/kontext/max' } as const;
const PRICES = { pro: 0.04, max: 0.08 } as const;

export function falKontext(variant: 'pro' | 'max'): ModelEntry {
  return {
    provider: 'fal',
    id: `blackforestlabs/flux-1-kontext/${variant}/edit`,
    aliases: [`flux-kontext-${variant}`],
    title: `FLUX.1 Kontext [${variant}] on fal.ai`,
    endpoint: ENDPOINTS[variant],
    fields: { prompt: 'prompt', seed: 'seed', aspectRatio: 'aspect_ratio' },
    image: {
      field: 'image_url',
      accepts: ['url', 'data-uri'],
      inlineMaxBytes: INLINE_MAX_BYTES,
      mediaTypes: null,
      note: 'a URL (fal storage upload or any https URL); data URIs likely accepted (unconfirmed)',
    },
    aspectRatios: KONTEXT_RATIOS,
    params,
    returnsSeed: true,
    readResult: (result) => {
      const images = at(result, ['images']);
      const urls = Array.isArray(images)
        ? images.flatMap((img) => {
            const url = at(img, ['url']);
            return typeof url === 'string' ? [url] : [];
          })
        : [];
      const seed = seedAt(result, ['seed']);
      return { outputUrls: urls, ...(seed === undefined ? {} : { seed }) };
    },
    outputFormat: (p) => (p['output_format'] as OutputFormat | undefined) ?? 'jpeg',
    priceUsd: PRICES[variant],
    unconfirmed: ['data URIs for image_url and their size limit', 'price scaling with num_images'],
  };
}
