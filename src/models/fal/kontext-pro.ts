/** fal.ai: FLUX.1 Kontext [pro] (`fal-ai/flux-pro/kontext`). */
import { falKontext } from './kontext.js';

export const FAL_KONTEXT_PRO = falKontext('pro');
