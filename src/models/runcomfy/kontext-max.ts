/** RunComfy: FLUX.1 Kontext [max] edit (`blackforestlabs/flux-1-kontext/max/edit`). */
import { runcomfyKontext } from './kontext.js';

export const RUNCOMFY_KONTEXT_MAX = runcomfyKontext('max');
