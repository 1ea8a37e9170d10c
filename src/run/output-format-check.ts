/**
 * An output is saved under the extension of what its bytes are (sniffed on download: a JPEG is
 * always `.jpg`), so the file name never lies. When that differs from the format the pass asked
 * for (`params.output_format`, or the provider's default from the model table), the run says so.
 */
import { expectedOutputFormat } from '../models/output-format.js';
import { isProviderName, lookupModel } from '../models/registry.js';
import type { PlanNode } from '../plan/types.js';

/** A warning when `mediaType` (what arrived) is not the format `node` asked `provider` for; else `null`. */
export function outputFormatMismatch(
  node: Pick<PlanNode, 'model' | 'params'>,
  provider: string,
  got: { readonly mediaType: string; readonly ext: string },
): string | null {
  if (!isProviderName(provider)) return null;
  const expected = expectedOutputFormat(lookupModel(provider, node.model), node.params);
  if (expected === null || got.mediaType === `image/${expected}`) return null;
  return `asked ${provider} for ${expected} output but got ${got.mediaType}; saved as .${got.ext}`;
}
