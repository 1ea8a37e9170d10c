/**
 * RunComfy's Flux Kontext edit endpoints (pro, max, dev) — the emulator speaks the same protocol
 * and uses these entries. RunComfy has not published the Kontext input schema beyond prompt,
 * image_url, seed and aspect_ratio (docs/architecture.md#the-runcomfy-api), so the params below
 * are the ones the underlying BFL model takes, all optional and without defaults: nothing is
 * sent that the recipe did not ask for. Unknown keys are still refused — a typo would otherwise
 * be paid for and silently ignored.
 */
import { z } from 'zod';
import { KONTEXT_RATIOS } from '../aspect-ratios.js';
import { collectUrls, at } from '../read-result.js';
import type { ModelEntry, OutputFormat } from '../types.js';

/** RunComfy's own clients cap an inline image at 6 MiB (to fit the Model API request limit). */
const INLINE_MAX_BYTES = 6 * 1024 * 1024;

const params = z.strictObject({
  output_format: z
    .enum(['jpeg', 'png', 'webp'])
    .optional()
    .describe('Output image format (unconfirmed on RunComfy; the service decides when omitted).'),
  safety_tolerance: z
    .number()
    .int()
    .min(0)
    .max(6)
    .optional()
    .describe('Moderation tolerance 0 (strict) .. 6 (permissive) (unconfirmed on RunComfy).'),
  prompt_upsampling: z.boolean().optional().describe('Let the service rewrite the prompt (unconfirmed on RunComfy).'),
});

export function runcomfyKontext(variant: 'pro' | 'max' | 'dev'): ModelEntry {
  const id = `blackforestlabs/flux-1-kontext/${variant}/edit`;
  return {
    provider: 'runcomfy',
    id,
    aliases: [`flux-kontext-${variant}`],
    title: `FLUX.1 Kontext [${variant}] edit on RunComfy`,
    endpoint: id,
    fields: { prompt: 'prompt', seed: 'seed', aspectRatio: 'aspect_ratio' },
    image: {
      field: 'image_url',
      accepts: ['url', 'data-uri'],
      inlineMaxBytes: INLINE_MAX_BYTES,
      mediaTypes: null,
      note: 'https URL; data URIs are used by RunComfy’s own clients (6 MiB each), unconfirmed for Kontext',
    },
    aspectRatios: KONTEXT_RATIOS,
    params,
    returnsSeed: false,
    // `output` is `{image: url}` or `{images: [url]}`: take every URL inside it.
    readResult: (result) => ({ outputUrls: collectUrls(at(result, ['output'])) }),
    outputFormat: (p) => (p['output_format'] as OutputFormat | undefined) ?? null,
    priceUsd: 'catalog',
    unconfirmed: [
      'the input schema beyond prompt, image_url, seed, aspect_ratio (output_format, safety_tolerance)',
      'the aspect ratio list',
      'data URIs for image_url',
    ],
  };
}
