/** Replicate: FLUX.1 Kontext [pro] (`black-forest-labs/flux-kontext-pro`). */
import { replicateKontext } from './kontext.js';

export const REPLICATE_KONTEXT_PRO = replicateKontext('pro');
