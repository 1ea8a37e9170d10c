/** `params:` passes extra provider fields through; the ones with their own field are refused. */
import type { Problem } from '../../errors.js';
import type { DocPath } from '../yaml/locate.js';
import type { Rule } from './context.js';
import { ownValue } from '../../util/own.js';

export const RESERVED_PARAMS: Readonly<Record<string, string>> = {
  prompt: "write the prompt as the pass's prompt:",
  image: "the input image comes from the pass's from:",
  image_url: "the input image comes from the pass's from:",
  seed: "use the pass's seed: field, or defaults.seed",
  aspect_ratio: "use the pass's aspect_ratio: field, or defaults.aspect_ratio",
};

export const reservedParams: Rule = (ctx) => {
  const places: { at: DocPath; params: Readonly<Record<string, unknown>> | undefined }[] = [
    { at: ['defaults', 'params'], params: ctx.draft.defaults.params },
    ...ctx.draft.passes.map((p) => ({ at: ['passes', p.index, 'params'] as DocPath, params: p.params })),
  ];
  const out: Problem[] = [];
  for (const { at, params } of places) {
    for (const key of Object.keys(params ?? {})) {
      const hint = ownValue(RESERVED_PARAMS, key);
      if (hint !== undefined)
        out.push(
          ctx.report({
            code: 'params-reserved',
            path: [...at, key],
            label: at,
            key: true,
            message: `"${key}" has its own field`,
            hint,
          }),
        );
    }
  }
  return out;
};
