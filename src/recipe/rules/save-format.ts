/**
 * A `save:` path that ends in an image extension other than the pass's output format: the copy
 * is the output's bytes as they are (never converted), so `output_format: jpeg` with `save:
 * final/{source}.png` would write JPEG bytes under a `.png` name (review-u). A warning, with the
 * fix: end it with `.{ext}`, or ask for the format the name says. Only where the format is known
 * before the run (the model table's default or the pass's `output_format`; RunComfy's default is
 * not documented: its bytes decide).
 */
import type { Problem } from '../../errors.js';
import { extensionOf, expectedOutputFormat } from '../../models/output-format.js';
import { lookupModel } from '../../models/registry.js';
import { passModel, passProvider, setting } from '../draft.js';
import type { Rule } from './context.js';

/** The output format a literal image extension names; `null` for another (gif, avif, heic). */
const FORMAT_OF: Readonly<Record<string, 'png' | 'jpeg' | 'webp'>> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
};

const NAME: Readonly<Record<string, string>> = { png: 'PNG', jpeg: 'JPEG', webp: 'WebP' };

export const saveFormat: Rule = (ctx) => {
  const out: Problem[] = [];
  for (const pass of ctx.draft.passes) {
    const save = setting(ctx.draft, pass, 'save');
    const ext = save && /\.([A-Za-z]+)$/.exec(save.value)?.[1]?.toLowerCase();
    if (!save || ext === undefined) continue;
    const provider = passProvider(ctx.draft, pass);
    const entry = provider && lookupModel(provider, passModel(ctx.draft, pass));
    const format = expectedOutputFormat(entry || undefined, { ...ctx.draft.defaults.params, ...pass.params });
    const named = FORMAT_OF[ext];
    if (format === null || named === format) continue;
    out.push(
      ctx.report({
        code: 'save-format',
        path: save.path,
        severity: 'warning',
        message:
          `save path "${save.value}" ends in .${ext}, but pass ${pass.id ?? pass.index + 1} outputs ` +
          `${NAME[format] ?? format}: the copy would hold ${NAME[format] ?? format} bytes under that name`,
        hint: `end it with .{ext} (the output's own, .${extensionOf(format)} here), or set params.output_format`,
      }),
    );
  }
  return out;
};
