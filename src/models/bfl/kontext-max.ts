/** Black Forest Labs: FLUX.1 Kontext [max] (`POST /v1/flux-kontext-max`). */
import { bflKontext } from './kontext.js';

export const BFL_KONTEXT_MAX = bflKontext('max');
