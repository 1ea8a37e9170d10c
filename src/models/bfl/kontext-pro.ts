/** Black Forest Labs: FLUX.1 Kontext [pro] (`POST /v1/flux-kontext-pro`). */
import { bflKontext } from './kontext.js';

export const BFL_KONTEXT_PRO = bflKontext('pro');
