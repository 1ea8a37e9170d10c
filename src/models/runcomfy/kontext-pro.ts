/** RunComfy: FLUX.1 Kontext [pro] edit (`blackforestlabs/flux-1-kontext/pro/edit`). */
import { runcomfyKontext } from './kontext.js';

export const RUNCOMFY_KONTEXT_PRO = runcomfyKontext('pro');
