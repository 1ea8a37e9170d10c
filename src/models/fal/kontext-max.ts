/** fal.ai: FLUX.1 Kontext [max] (`fal-ai/flux-pro/kontext/max`). */
import { falKontext } from './kontext.js';

export const FAL_KONTEXT_MAX = falKontext('max');
