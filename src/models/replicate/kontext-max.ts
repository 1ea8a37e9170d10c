/** Replicate: FLUX.1 Kontext [max] (`black-forest-labs/flux-kontext-max`). */
import { replicateKontext } from './kontext.js';

export const REPLICATE_KONTEXT_MAX = replicateKontext('max');
