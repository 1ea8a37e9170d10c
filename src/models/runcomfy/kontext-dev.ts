/** RunComfy: FLUX.1 Kontext [dev] edit (`blackforestlabs/flux-1-kontext/dev/edit`). */
import { runcomfyKontext } from './kontext.js';

export const RUNCOMFY_KONTEXT_DEV = runcomfyKontext('dev');
