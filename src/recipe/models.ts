/**
 * The recipe's view of the model table (src/models/): the default model, the catalog id form,
 * and the aspect ratios a pass's model accepts on its provider.
 */
import { KONTEXT_RATIOS } from '../models/aspect-ratios.js';
import { lookupModel } from '../models/registry.js';
import type { ProviderName } from '../models/types.js';

export { DEFAULT_MODEL, MODEL_ID_PATTERN } from '../models/registry.js';

/** Aspect ratios `model` accepts on `provider` (the common Kontext list for a catalog model). */
export function aspectRatiosFor(model: string, provider: ProviderName = 'runcomfy'): readonly string[] {
  return lookupModel(provider, model)?.aspectRatios ?? KONTEXT_RATIOS;
}
