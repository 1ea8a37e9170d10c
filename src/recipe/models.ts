/**
 * What we know about each model: the aspect ratios it accepts. The provider answers 422 (or
 * crops) for a ratio outside its list, so we catch it before paying for a request.
 */

export const DEFAULT_MODEL = 'blackforestlabs/flux-1-kontext/pro/edit';

/** The common Kontext list; also used for models we have no table for. */
const DEFAULT_ASPECT_RATIOS: readonly string[] = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'];

const MODEL_ASPECT_RATIOS: Readonly<Record<string, readonly string[]>> = {
  [DEFAULT_MODEL]: DEFAULT_ASPECT_RATIOS,
  'blackforestlabs/flux-1-kontext/max/edit': DEFAULT_ASPECT_RATIOS,
  'blackforestlabs/flux-1-kontext/dev/edit': DEFAULT_ASPECT_RATIOS,
};

/** Aspect ratios `model` accepts (the default list for a model not in the table). */
export function aspectRatiosFor(model: string): readonly string[] {
  return MODEL_ASPECT_RATIOS[model] ?? DEFAULT_ASPECT_RATIOS;
}

/** `owner/name/...`: at least two path segments of safe characters. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)+$/;
